/**
 * Pod events like kubelet's (Pulling, Pulled, Created, Started, Killing, BackOff, Unhealthy, Failed
 * and others), kept in memory in a bounded ring per pod and written to the log as they happen.
 * An event identical to one in the ring (same type, reason, container and message) raises that
 * one's count instead of taking a new slot, as Kubernetes' event correlator does.
 */
import type { Logger } from "../log/logger.js";

/** Kubernetes' two event types. */
export type EventType = "Normal" | "Warning";

/** The pod an event is about. */
export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
}

/** What a component reports. */
export interface EventInput {
  type: EventType;
  /** A CamelCase reason from kubelet's vocabulary, such as `BackOff`. */
  reason: string;
  message: string;
  /** The container the event is about; absent for the pod as a whole. */
  container?: string;
}

/** A recorded event. */
export interface PodEvent extends EventInput {
  pod: PodRef;
  /** How many times it happened. */
  count: number;
  /** Milliseconds since the epoch of the first and latest occurrence. */
  firstTimestampMs: number;
  lastTimestampMs: number;
}

/** Where components report events; the recorder is the real one, tests pass their own. */
export interface EventSink {
  record(pod: PodRef, event: EventInput): void;
}

/** Options of an EventRecorder. */
export interface EventRecorderOptions {
  /** Receives one line per occurrence; Normal events at info, Warning at warn. Default: none. */
  log?: Logger;
  /** Events kept per pod; the oldest goes first. Default 64. */
  maxPerPod?: number;
  /** Clock in milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
}

/** Default number of events kept per pod. */
export const DEFAULT_EVENTS_PER_POD = 64;

/** Keeps each pod's recent events; see the file comment. */
export class EventRecorder implements EventSink {
  private readonly rings = new Map<string, PodEvent[]>();
  private readonly log: Logger | undefined;
  private readonly maxPerPod: number;
  private readonly now: () => number;

  constructor(options: EventRecorderOptions = {}) {
    this.log = options.log;
    this.maxPerPod = Math.max(1, options.maxPerPod ?? DEFAULT_EVENTS_PER_POD);
    this.now = options.now ?? Date.now;
  }

  record(pod: PodRef, event: EventInput): void {
    const key = `${pod.namespace}/${pod.name}`;
    const nowMs = this.now();
    const ring = this.rings.get(key) ?? [];
    this.rings.set(key, ring);

    const index = ring.findIndex(
      (old) =>
        old.pod.uid === pod.uid &&
        old.type === event.type &&
        old.reason === event.reason &&
        old.container === event.container &&
        old.message === event.message,
    );
    if (index >= 0) {
      const [same] = ring.splice(index, 1) as [PodEvent];
      ring.push({ ...same, count: same.count + 1, lastTimestampMs: nowMs });
    } else {
      ring.push({ ...event, pod: { ...pod }, count: 1, firstTimestampMs: nowMs, lastTimestampMs: nowMs });
      if (ring.length > this.maxPerPod) ring.shift();
    }

    const fields = { pod: key, podUID: pod.uid, container: event.container, reason: event.reason, message: event.message };
    if (event.type === "Warning") this.log?.warn("pod event", fields);
    else this.log?.info("pod event", fields);
  }

  /** Returns the events of one pod (`namespace/name`), or of every pod, oldest first. */
  list(key?: string): PodEvent[] {
    if (key !== undefined) return [...(this.rings.get(key) ?? [])];
    return [...this.rings.values()].flat().sort((a, b) => a.lastTimestampMs - b.lastTimestampMs);
  }

  /** Drops the events of pods whose `namespace/name` is not in `keep`. */
  retain(keep: ReadonlySet<string>): void {
    for (const key of this.rings.keys()) {
      if (!keep.has(key)) this.rings.delete(key);
    }
  }
}
