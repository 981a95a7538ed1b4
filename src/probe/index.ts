/** Probes: the per-container state machines, their workers and manager, and the probe kinds. */
export { initialProbeState, initialResult, nextProbeState, type ProbeEvent, type ProbeOutcome, type ProbeResult, type ProbeState, type ProbeTiming, type ProbeTransition } from "./state.js";
export { ProbeWorker, type ProbeWorkerOptions } from "./worker.js";
export {
  hasProbes,
  ProbeManager,
  type ContainerProbeStatus,
  type ProbedContainer,
  type ProbeManagerOptions,
  type ProbeObserver,
  type UnhealthyContainer,
} from "./manager.js";
export { criProbeRunner, type ProbeRunner } from "./run-probe.js";
export { HOST_NETWORK_PROBE_HOST, runningContainers } from "./running.js";
export { resolvePort, type ProbeTarget } from "./target.js";
export { runExecProbe } from "./exec-probe.js";
