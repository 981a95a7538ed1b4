/**
 * The daemon's view of its pods for readers, the HTTP API and through it the CLI. After each pass
 * the controller hands over what it listed. A reader gets statuses computed at that moment from
 * it, the live probe results and the back-off entries. The store also keeps what the runtime does
 * not record: when each pod version was first seen, when its conditions last changed, and why its
 * containers' latest starts failed.
 */
import { compareNames } from "../manifest/file-names.js";
import { podKey, type Pod } from "../manifest/index.js";
import type { BackoffEntry } from "../reconcile/backoff.js";
import type { ObservedContainer, ObservedSandbox, ObservedState } from "../reconcile/observed.js";
import type { DetailsView } from "./details.js";
import type { EventRecorder } from "./events.js";
import type { PodStatus, V1EventList, V1Pod, V1PodList } from "./k8s-types.js";
import { eventObject, podObject } from "./pod-json.js";
import { computePodStatus, isoSeconds, type ProbeView, type StartFailure } from "./pod-status.js";

/** The state the controller listed in one pass. */
export interface PassSnapshot {
  desired: readonly Pod[];
  observed: ObservedState;
  backoff: ReadonlyMap<string, BackoffEntry>;
  nowMs: number;
}

/** Options of a StatusStore. */
export interface StatusStoreOptions {
  details: DetailsView;
  events: EventRecorder;
  /** Probe results by container ID. Default: no probes. */
  probes?: (containerId: string) => ProbeView | undefined;
  /** The node's addresses, primary first. */
  hostIPs: readonly string[];
  nodeName: string;
  /** Runtime name for container IDs. Default "containerd". */
  runtimeName?: string;
  /** Receives, once per pod version, the time from first seeing it to all its containers running. */
  onPodRunning?: (pod: Pod, latencyMs: number) => void;
  /** Clock in milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
}

/** Per pod version (UID) memory. */
interface PodMemory {
  firstSeenMs: number;
  /** When a sandbox of this version was first seen; the pod's startTime. */
  startedMs: number | undefined;
  /** False once the latency was reported, or when the pod already ran when first seen. */
  awaitingRunning: boolean;
  conditions: Map<string, { status: string; sinceMs: number }>;
  startFailures: Map<string, StartFailure>;
}

/** See the file comment. */
export class StatusStore {
  private snapshot: PassSnapshot | undefined;
  /** The snapshot's sandboxes by pod UID and containers by sandbox, so each pod's lookup is direct. */
  private index: ObservedIndex = { sandboxesByUid: new Map(), containersBySandbox: new Map() };
  private readonly memory = new Map<string, PodMemory>();
  private readonly now: () => number;

  constructor(private readonly options: StatusStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Reports whether a pass has been recorded, so statuses can be served. */
  get ready(): boolean {
    return this.snapshot !== undefined;
  }

  /** Records a pass; see the file comment. */
  update(snapshot: PassSnapshot): void {
    this.snapshot = snapshot;
    this.index = indexObserved(snapshot);
    const uids = new Set<string>();

    for (const pod of snapshot.desired) {
      uids.add(pod.uid);
      let memory = this.memory.get(pod.uid);
      const status = this.statusOf(pod, snapshot.nowMs, memory);
      // A pod adopted after a restart dates from its oldest sandbox, not from this process's first pass.
      const sandboxTimes = this.sandboxesOf(pod.uid).map((s) => s.createdAtMs);
      const oldestSandboxMs = sandboxTimes.length === 0 ? undefined : Math.min(...sandboxTimes);
      if (memory === undefined) {
        memory = {
          firstSeenMs: Math.min(oldestSandboxMs ?? snapshot.nowMs, snapshot.nowMs),
          startedMs: undefined,
          awaitingRunning: !allRunning(status),
          conditions: new Map(),
          startFailures: new Map(),
        };
        this.memory.set(pod.uid, memory);
      }
      if (memory.startedMs === undefined && oldestSandboxMs !== undefined) {
        memory.startedMs = oldestSandboxMs;
      }
      if (memory.awaitingRunning && allRunning(status)) {
        memory.awaitingRunning = false;
        this.options.onPodRunning?.(pod, snapshot.nowMs - memory.firstSeenMs);
      }
      this.stampConditions(status, memory, snapshot.nowMs);
    }

    for (const uid of this.memory.keys()) {
      if (!uids.has(uid)) this.memory.delete(uid);
    }
    const keys = new Set([...snapshot.desired.map(podKey), ...snapshot.observed.sandboxes.map(podKey)]);
    this.options.events.retain(keys);
  }

  /** Records why a container's start failed; shown as its waiting reason until it starts. */
  recordStartFailure(pod: Pod, container: string, failure: StartFailure): void {
    this.memory.get(pod.uid)?.startFailures.set(container, failure);
  }

  /** Forgets a container's failed start once it started. */
  clearStartFailure(pod: Pod, container: string): void {
    this.memory.get(pod.uid)?.startFailures.delete(container);
  }

  /** Returns the desired pods with their current status, sorted by namespace and name. */
  podList(): V1PodList {
    const items: V1Pod[] = [];
    const snapshot = this.snapshot;
    if (snapshot !== undefined) {
      const nowMs = this.now();
      // Sorted by UTF-16 code unit, the order that duplicate pods are resolved in. localeCompare
      // loads ICU collation, which kept about 2 MB more of the node binary resident in the daemon.
      const pods = [...snapshot.desired].sort((a, b) => compareNames(podKey(a), podKey(b)));
      for (const pod of pods) {
        const memory = this.memory.get(pod.uid);
        const status = this.statusOf(pod, nowMs, memory);
        if (memory !== undefined) this.stampConditions(status, memory, nowMs);
        const sandbox = this.sandboxesOf(pod.uid).filter((s) => s.ready).sort((a, b) => b.createdAtMs - a.createdAtMs)[0];
        items.push(podObject(pod, status, { firstSeenMs: memory?.firstSeenMs, sandboxId: sandbox?.id, nodeName: this.options.nodeName }));
      }
    }
    return { kind: "PodList", apiVersion: "v1", metadata: {}, items };
  }

  /** Returns the recorded events of every pod, oldest first. */
  eventList(): V1EventList {
    const items = this.options.events.list().map((event, index) => eventObject(event, index, this.options.nodeName));
    return { kind: "EventList", apiVersion: "v1", metadata: {}, items };
  }

  private sandboxesOf(uid: string): ObservedSandbox[] {
    return this.index.sandboxesByUid.get(uid) ?? [];
  }

  private statusOf(pod: Pod, nowMs: number, memory: PodMemory | undefined): PodStatus {
    const snapshot = this.snapshot as PassSnapshot;
    const sandboxes = this.sandboxesOf(pod.uid).filter((s) => podKey(s) === podKey(pod));
    return computePodStatus({
      pod,
      sandboxes,
      containers: sandboxes.flatMap((sandbox) => this.index.containersBySandbox.get(sandbox.id) ?? []),
      details: this.options.details,
      backoff: snapshot.backoff,
      startFailures: memory?.startFailures ?? new Map(),
      probes: this.options.probes ?? (() => undefined),
      hostIPs: this.options.hostIPs,
      runtimeName: this.options.runtimeName ?? "containerd",
      startTimeMs: memory?.startedMs,
      nowMs,
    });
  }

  /** Sets each condition's lastTransitionTime to when its status last changed. */
  private stampConditions(status: PodStatus, memory: PodMemory, nowMs: number): void {
    for (const condition of status.conditions) {
      const previous = memory.conditions.get(condition.type);
      if (previous === undefined || previous.status !== condition.status) {
        memory.conditions.set(condition.type, { status: condition.status, sinceMs: nowMs });
      }
      condition.lastTransitionTime = isoSeconds(memory.conditions.get(condition.type)?.sinceMs ?? nowMs);
    }
  }
}

/** Reports whether every container of the spec has a running instance. */
function allRunning(status: PodStatus): boolean {
  return status.containerStatuses.length > 0 && status.containerStatuses.every((s) => s.state.running !== undefined);
}

interface ObservedIndex {
  sandboxesByUid: Map<string, ObservedSandbox[]>;
  containersBySandbox: Map<string, ObservedContainer[]>;
}

/** Groups a snapshot's sandboxes by pod UID and its containers by sandbox ID. */
function indexObserved(snapshot: PassSnapshot): ObservedIndex {
  const index: ObservedIndex = { sandboxesByUid: new Map(), containersBySandbox: new Map() };
  for (const sandbox of snapshot.observed.sandboxes) {
    const list = index.sandboxesByUid.get(sandbox.uid) ?? [];
    list.push(sandbox);
    index.sandboxesByUid.set(sandbox.uid, list);
  }
  for (const container of snapshot.observed.containers) {
    const list = index.containersBySandbox.get(container.sandboxId) ?? [];
    list.push(container);
    index.containersBySandbox.set(container.sandboxId, list);
  }
  return index;
}
