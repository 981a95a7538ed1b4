/** Runs one probe of any kind against a container instance. */
import type { CriClient } from "../cri/index.js";
import type { Probe } from "../manifest/index.js";
import { runExecProbe } from "./exec-probe.js";
import { runGrpcProbe } from "./grpc-probe.js";
import { runHttpProbe } from "./http-probe.js";
import type { ProbeOutcome } from "./state.js";
import { resolvePort, type ProbeTarget } from "./target.js";
import { runTcpProbe } from "./tcp-probe.js";

/** Runs a probe once; a test passes its own. */
export type ProbeRunner = (probe: Probe, target: ProbeTarget) => Promise<ProbeOutcome>;

/** Returns a ProbeRunner that runs exec probes through `cri` and network probes from this host. */
export function criProbeRunner(cri: CriClient): ProbeRunner {
  return async (probe, target) => {
    if (probe.exec !== undefined) {
      return runExecProbe(cri, target.containerId, probe.exec, probe.timeoutSeconds);
    }

    const action = probe.httpGet ?? probe.tcpSocket ?? probe.grpc;
    if (action === undefined) {
      return { result: "unknown", message: "probe has no action" };
    }
    const host = ("host" in action ? action.host : undefined) || target.podIP;
    if (host === undefined || host === "") {
      return { result: "unknown", message: "the pod has no IP yet" };
    }
    const port = resolvePort(action.port, target.ports);
    if (port === undefined) {
      return { result: "failure", message: `no container port is named ${String(action.port)}` };
    }

    if (probe.httpGet !== undefined) {
      return runHttpProbe(probe.httpGet, host, port, probe.timeoutSeconds);
    }
    if (probe.tcpSocket !== undefined) {
      return runTcpProbe(host, port, probe.timeoutSeconds);
    }
    return runGrpcProbe(host, port, probe.grpc?.service ?? "", probe.timeoutSeconds);
  };
}
