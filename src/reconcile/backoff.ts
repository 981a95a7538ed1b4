/**
 * Restart back-off, as kubelet applies it. A container that keeps failing waits 10 s, then 20 s,
 * 40 s and so on up to 5 minutes before each new start, and one that ran for 10 minutes starts over
 * at 10 s. The functions are pure; the controller keeps the entries in memory only, as kubelet does.
 */

/** First delay after a failure, in milliseconds. */
export const INITIAL_BACKOFF_MS = 10_000;

/** Maximum delay between starts, in milliseconds. */
export const MAX_BACKOFF_MS = 300_000;

/** A container that ran at least this long before it exited starts its back-off over, in milliseconds. */
export const BACKOFF_RESET_AFTER_MS = 600_000;

/** Reason a container waits before its next start, named as kubelet names it. */
export type BackoffReason = "CrashLoopBackOff" | "ImagePullBackOff" | "CreateContainerError" | "RunContainerError";

/** The back-off state of one container of one pod (key: `podUID/containerName`). */
export interface BackoffEntry {
  /** Delay applied after the latest failure, in milliseconds. */
  delayMs: number;
  /** Earliest time, in milliseconds since the epoch, the container may start again. */
  notBeforeMs: number;
  /** The failure waited on: the exited container's ID, or `start:ATTEMPT` for a start that failed. */
  failure: string;
  reason: BackoffReason;
}

/** Returns the key of a container's back-off entry. */
export function backoffKey(podUID: string, containerName: string): string {
  return `${podUID}/${containerName}`;
}

/** Returns the delay to apply after a failure, given the previous entry and how long the container ran. */
export function nextDelayMs(previous: BackoffEntry | undefined, ranForMs: number): number {
  if (previous === undefined || ranForMs >= BACKOFF_RESET_AFTER_MS) {
    return INITIAL_BACKOFF_MS;
  }
  return Math.min(previous.delayMs * 2, MAX_BACKOFF_MS);
}

/** Returns the entry that records an exited container, which waits from the time it finished. */
export function backoffAfterExit(
  previous: BackoffEntry | undefined,
  containerId: string,
  startedAtMs: number,
  finishedAtMs: number,
  nowMs: number,
): BackoffEntry {
  const finished = finishedAtMs > 0 ? finishedAtMs : nowMs;
  const ranForMs = startedAtMs > 0 ? finished - startedAtMs : 0;
  const delayMs = nextDelayMs(previous, ranForMs);
  return { delayMs, notBeforeMs: finished + delayMs, failure: containerId, reason: "CrashLoopBackOff" };
}

/** Returns the entry that records a start (pull, create or start call) that failed at `nowMs`. */
export function backoffAfterFailedStart(
  previous: BackoffEntry | undefined,
  attempt: number,
  reason: BackoffReason,
  nowMs: number,
): BackoffEntry {
  const delayMs = nextDelayMs(previous, 0);
  return { delayMs, notBeforeMs: nowMs + delayMs, failure: `start:${attempt}`, reason };
}
