/**
 * The state machine of one probe of one container instance, as kubelet's prober worker behaves:
 * nothing runs before `initialDelaySeconds`; liveness and readiness wait until the container counts
 * as started (its startup probe succeeded, or it has none); a result changes only after
 * `failureThreshold` failures or `successThreshold` successes in a row; probes of one worker never
 * overlap. A probe that outlasts `periodSeconds` (because `timeoutSeconds` is longer) is followed
 * by the next one as soon as it ends, and the periods it overran are not made up, the way a Go
 * ticker drops the ticks its reader missed. A failed liveness or startup probe holds the worker
 * until the container is replaced, because it is about to be killed.
 *
 * The function is pure: time comes in with each event, and the caller runs probes and timers.
 */
import type { ProbeType } from "../manifest/index.js";

/** What a probe reports about the container: kubelet's Success, Failure and Unknown. */
export type ProbeResult = "success" | "failure" | "unknown";

/** The outcome of one probe run. `unknown` is an error of the prober itself, which is not counted. */
export interface ProbeOutcome {
  result: ProbeResult;
  /** Why it failed, such as the command's output or "timed out after 1s"; empty on success. */
  message: string;
}

/** The timing fields of a probe, as in the manifest. */
export interface ProbeTiming {
  initialDelaySeconds: number;
  periodSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

/** Consecutive outcomes of the same kind. */
export interface Streak {
  last: "success" | "failure" | undefined;
  count: number;
}

/** The state of one probe worker; every kind carries the result currently reported. */
export type ProbeState =
  /** Before initialDelaySeconds has passed since the container started. */
  | { kind: "delayed"; result: ProbeResult; dueAtMs: number }
  /** Liveness or readiness while the container has not counted as started yet. */
  | { kind: "gated"; result: ProbeResult; streak: Streak }
  /** Waiting for the next period. */
  | { kind: "scheduled"; result: ProbeResult; dueAtMs: number; streak: Streak }
  /** A probe runs; `nextDueAtMs` is when the next would start if this one ends in time. */
  | { kind: "probing"; result: ProbeResult; nextDueAtMs: number; streak: Streak }
  /** A liveness or startup probe failed; nothing runs until the container is replaced. */
  | { kind: "held"; result: "failure" }
  /** A startup probe succeeded; it never runs again for this container. */
  | { kind: "done"; result: "success" }
  | { kind: "stopped"; result: ProbeResult };

/** What happens to a worker. */
export type ProbeEvent =
  /** A timer fired, or the container's started state may have changed. */
  | { type: "tick"; nowMs: number; started: boolean }
  /** The running probe ended. */
  | { type: "finished"; nowMs: number; outcome: ProbeOutcome; started: boolean }
  /** The container stopped running or left the spec. */
  | { type: "stop" };

/** The result of a transition: the new state and what the caller must do. */
export interface ProbeTransition {
  state: ProbeState;
  /** Start one probe now. */
  runProbe: boolean;
  /** Deliver a tick at this time (milliseconds since the epoch); undefined means no timer. */
  wakeAtMs: number | undefined;
  /** The reported result changed. */
  changed: boolean;
}

/** Returns the result a probe reports before it has run, as kubelet sets it. */
export function initialResult(type: ProbeType): ProbeResult {
  switch (type) {
    case "liveness":
      return "success";
    case "readiness":
      return "failure";
    case "startup":
      return "unknown";
  }
}

/** Returns the state of a new worker for a container that started at `startedAtMs`. */
export function initialProbeState(type: ProbeType, timing: ProbeTiming, startedAtMs: number): ProbeState {
  return { kind: "delayed", result: initialResult(type), dueAtMs: startedAtMs + timing.initialDelaySeconds * 1000 };
}

const NO_STREAK: Streak = { last: undefined, count: 0 };

/** Applies one event to a worker's state; see the file comment for the rules. */
export function nextProbeState(type: ProbeType, timing: ProbeTiming, state: ProbeState, event: ProbeEvent): ProbeTransition {
  const periodMs = timing.periodSeconds * 1000;
  const stay: ProbeTransition = { state, runProbe: false, wakeAtMs: undefined, changed: false };

  if (event.type === "stop") {
    return { ...stay, state: { kind: "stopped", result: state.result } };
  }

  switch (state.kind) {
    case "stopped":
    case "held":
    case "done":
      return stay;

    case "probing":
      if (event.type === "tick") {
        // The running probe is not joined by another; its end schedules the next.
        return stay;
      }
      return afterProbe(type, timing, state, event.outcome, event.nowMs, event.started);

    case "delayed":
      if (event.type !== "tick") return stay;
      if (event.nowMs < state.dueAtMs) return { ...stay, wakeAtMs: state.dueAtMs };
      return startIfStarted(type, periodMs, state.result, NO_STREAK, event.nowMs, event.started);

    case "gated":
      if (event.type !== "tick") return stay;
      return startIfStarted(type, periodMs, state.result, state.streak, event.nowMs, event.started);

    case "scheduled":
      if (event.type !== "tick") return stay;
      if (event.nowMs < state.dueAtMs) return { ...stay, wakeAtMs: state.dueAtMs };
      return startIfStarted(type, periodMs, state.result, state.streak, event.nowMs, event.started);
  }
}

/** Starts a probe, unless liveness or readiness must wait for the container to count as started. */
function startIfStarted(
  type: ProbeType,
  periodMs: number,
  result: ProbeResult,
  streak: Streak,
  nowMs: number,
  started: boolean,
): ProbeTransition {
  if (type !== "startup" && !started) {
    return { state: { kind: "gated", result, streak }, runProbe: false, wakeAtMs: undefined, changed: false };
  }
  return { state: { kind: "probing", result, nextDueAtMs: nowMs + periodMs, streak }, runProbe: true, wakeAtMs: undefined, changed: false };
}

function afterProbe(
  type: ProbeType,
  timing: ProbeTiming,
  state: Extract<ProbeState, { kind: "probing" }>,
  outcome: ProbeOutcome,
  nowMs: number,
  started: boolean,
): ProbeTransition {
  const periodMs = timing.periodSeconds * 1000;

  // An error of the prober says nothing about the container: the streak and result stay.
  let streak = state.streak;
  let result = state.result;
  if (outcome.result !== "unknown") {
    streak = outcome.result === streak.last ? { last: streak.last, count: streak.count + 1 } : { last: outcome.result, count: 1 };
    const threshold = streak.last === "failure" ? timing.failureThreshold : timing.successThreshold;
    if (streak.count >= threshold) {
      result = streak.last as "success" | "failure";
    }
  }
  const changed = result !== state.result;

  if (result === "failure" && (type === "liveness" || type === "startup")) {
    return { state: { kind: "held", result: "failure" }, runProbe: false, wakeAtMs: undefined, changed };
  }
  if (type === "startup" && result === "success") {
    return { state: { kind: "done", result: "success" }, runProbe: false, wakeAtMs: undefined, changed };
  }

  if (nowMs >= state.nextDueAtMs) {
    // The probe overran its period: the next starts now, and missed periods are dropped.
    const next = startIfStarted(type, periodMs, result, streak, nowMs, started);
    return { ...next, changed };
  }
  return { state: { kind: "scheduled", result, dueAtMs: state.nextDueAtMs, streak }, runProbe: false, wakeAtMs: state.nextDueAtMs, changed };
}
