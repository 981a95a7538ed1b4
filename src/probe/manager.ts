/**
 * The probe manager: one worker per probe of every running container instance that has probes.
 * It never changes the runtime. A container whose liveness or startup probe failed is reported as
 * unhealthy, and the planner decides to kill it; readiness feeds the container's Ready state.
 */
import type { Container, Probe, ProbeType } from "../manifest/index.js";
import type { Logger } from "../log/logger.js";
import type { EventSink, PodRef } from "../status/events.js";
import type { ProbeRunner } from "./run-probe.js";
import type { ProbeOutcome, ProbeResult } from "./state.js";
import type { ProbeTarget } from "./target.js";
import { ProbeWorker } from "./worker.js";

/** A running container instance, as the controller hands it to the manager. */
export interface ProbedContainer {
  pod: PodRef;
  /** The container's spec, with its probes. */
  container: Container;
  target: ProbeTarget;
  /** When the instance started, in milliseconds since the epoch. */
  startedAtMs: number;
}

/** A container whose liveness or startup probe failed, so it is to be killed and started again. */
export interface UnhealthyContainer {
  containerId: string;
  pod: PodRef;
  containerName: string;
  probe: "liveness" | "startup";
  /** A sentence for events and logs, such as "container main failed liveness probe, will be restarted". */
  message: string;
  /** Grace period the probe sets for the kill, in seconds; undefined means the pod's. */
  gracePeriodSeconds: number | undefined;
}

/** What the probes say about one container instance. */
export interface ContainerProbeStatus {
  /** The startup probe succeeded, or there is none. */
  started: boolean;
  /** Started, and the readiness probe succeeds (or there is none). */
  ready: boolean;
}

/** Receives probe runs for metrics. */
export type ProbeObserver = (type: ProbeType, pod: PodRef, container: string, result: ProbeResult, durationMs: number) => void;

/** Options of a ProbeManager. */
export interface ProbeManagerOptions {
  run: ProbeRunner;
  log: Logger;
  /** Called when a container becomes unhealthy, so the controller plans its restart soon. */
  onUnhealthy: () => void;
  events?: EventSink;
  observe?: ProbeObserver;
  /** Clock in milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
}

interface Entry {
  probed: ProbedContainer;
  workers: Map<ProbeType, ProbeWorker>;
}

const PROBE_TYPES: readonly ProbeType[] = ["startup", "liveness", "readiness"];

/** See the file comment. */
export class ProbeManager {
  private readonly entries = new Map<string, Entry>();
  private readonly unhealthyById = new Map<string, UnhealthyContainer>();
  private changeCount = 0;

  constructor(private readonly options: ProbeManagerOptions) {}

  /**
   * Makes the workers match `running`: new instances with probes get workers, and instances no
   * longer running (exited, replaced, their pod removed) lose theirs.
   */
  sync(running: readonly ProbedContainer[]): void {
    const live = new Set<string>();
    for (const probed of running) {
      if (!hasProbes(probed.container)) continue;
      live.add(probed.target.containerId);
      if (!this.entries.has(probed.target.containerId)) this.add(probed);
    }
    for (const [containerId, entry] of this.entries) {
      if (live.has(containerId)) continue;
      for (const worker of entry.workers.values()) worker.stop();
      this.entries.delete(containerId);
      this.changeCount++;
      this.unhealthyById.delete(containerId);
    }
  }

  /** Number of probe result changes and of workers added or removed, so a caller can detect new results. */
  get changes(): number {
    return this.changeCount;
  }

  /** Returns what the probes say about a container instance; undefined when it has no probes. */
  status(containerId: string): ContainerProbeStatus | undefined {
    const entry = this.entries.get(containerId);
    if (entry === undefined) return undefined;
    const started = this.isStarted(entry);
    const readiness = entry.workers.get("readiness");
    return { started, ready: started && (readiness === undefined || readiness.result === "success") };
  }

  /** Returns the containers to kill for a failed liveness or startup probe, by container ID. */
  unhealthy(): ReadonlyMap<string, UnhealthyContainer> {
    return this.unhealthyById;
  }

  /** Stops every worker. */
  stop(): void {
    this.sync([]);
  }

  private add(probed: ProbedContainer): void {
    const entry: Entry = { probed, workers: new Map() };
    this.entries.set(probed.target.containerId, entry);
    this.changeCount++;

    for (const type of PROBE_TYPES) {
      const probe = probeOf(probed.container, type);
      if (probe === undefined) continue;
      const worker = new ProbeWorker({
        type,
        probe,
        target: probed.target,
        startedAtMs: probed.startedAtMs,
        run: this.options.run,
        isStarted: () => this.isStarted(entry),
        onOutcome: (outcome, durationMs) => this.onOutcome(entry, type, outcome, durationMs),
        onChange: (result, outcome) => this.onChange(entry, type, probe, result, outcome),
        ...(this.options.now === undefined ? {} : { now: this.options.now }),
      });
      entry.workers.set(type, worker);
    }
    for (const worker of entry.workers.values()) worker.poke();
  }

  private isStarted(entry: Entry): boolean {
    const startup = entry.workers.get("startup");
    return startup === undefined || startup.result === "success";
  }

  private onOutcome(entry: Entry, type: ProbeType, outcome: ProbeOutcome, durationMs: number): void {
    const { pod, container } = entry.probed;
    this.options.observe?.(type, pod, container.name, outcome.result, durationMs);
    if (outcome.result === "failure") {
      this.options.events?.record(pod, {
        type: "Warning",
        reason: "Unhealthy",
        message: `${capitalize(type)} probe failed: ${outcome.message}`,
        container: container.name,
      });
    } else if (outcome.result === "unknown") {
      this.options.log.debug("probe error", { pod: `${pod.namespace}/${pod.name}`, container: container.name, probe: type, err: outcome.message });
    }
  }

  private onChange(entry: Entry, type: ProbeType, probe: Probe, result: ProbeResult, outcome: ProbeOutcome): void {
    this.changeCount++;
    const { pod, container, target } = entry.probed;
    const fields = { pod: `${pod.namespace}/${pod.name}`, container: container.name, containerID: target.containerId.slice(0, 13), probe: type, result };
    this.options.log.info("probe result changed", outcome.message === "" ? fields : { ...fields, message: outcome.message });

    if (type === "startup" && result === "success") {
      // Liveness and readiness were waiting for this.
      for (const [other, worker] of entry.workers) {
        if (other !== "startup") worker.poke();
      }
    }
    if ((type === "liveness" || type === "startup") && result === "failure") {
      this.unhealthyById.set(target.containerId, {
        containerId: target.containerId,
        pod,
        containerName: container.name,
        probe: type,
        message: `container ${container.name} failed ${type} probe, will be restarted`,
        gracePeriodSeconds: probe.terminationGracePeriodSeconds,
      });
      this.options.onUnhealthy();
    }
  }
}

/** Reports whether a container has any probe. */
export function hasProbes(container: Container): boolean {
  return PROBE_TYPES.some((type) => probeOf(container, type) !== undefined);
}

function probeOf(container: Container, type: ProbeType): Probe | undefined {
  switch (type) {
    case "liveness":
      return container.livenessProbe;
    case "readiness":
      return container.readinessProbe;
    case "startup":
      return container.startupProbe;
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
