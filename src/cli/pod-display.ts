/** Pure helpers that turn a v1 Pod into the columns `kubectl get pods` shows. */
import type { ContainerStatus, V1Pod } from "../status/k8s-types.js";
import { formatAge, formatDuration } from "./output.js";

/** Returns READY: ready containers over all containers, such as "1/2". */
export function readyColumn(pod: V1Pod): string {
  const statuses = pod.status.containerStatuses;
  return `${statuses.filter((s) => s.ready).length}/${statuses.length}`;
}

/**
 * Returns STATUS as kubectl derives it: the first init container that has not succeeded
 * (`Init:CrashLoopBackOff`, `Init:0/1`), else the reason of the last container that has one
 * (`CrashLoopBackOff`, `ImagePullBackOff`, `ContainerCreating`, `Completed`, `Error`), else the phase.
 */
export function statusColumn(pod: V1Pod): string {
  let reason: string = pod.status.phase;

  const inits = pod.status.initContainerStatuses ?? [];
  for (const [index, init] of inits.entries()) {
    const terminated = init.state.terminated;
    const waiting = init.state.waiting;
    if (terminated !== undefined && terminated.exitCode === 0) continue;
    if (terminated !== undefined) {
      reason = `Init:${terminated.reason || (terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`)}`;
    } else if (waiting?.reason && waiting.reason !== "PodInitializing") {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${index}/${inits.length}`;
    }
    return reason;
  }

  let hasRunning = false;
  for (const status of [...pod.status.containerStatuses].reverse()) {
    const { waiting, terminated, running } = status.state;
    if (waiting?.reason) reason = waiting.reason;
    else if (terminated?.reason) reason = terminated.reason;
    else if (terminated !== undefined) reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`;
    else if (running !== undefined && status.ready) hasRunning = true;
  }
  if (reason === "Completed" && hasRunning) {
    const ready = pod.status.conditions.find((c) => c.type === "Ready")?.status === "True";
    reason = ready ? "Running" : "NotReady";
  }
  return reason;
}

/** Returns RESTARTS: the sum of restart counts, with the age of the latest exit, such as "3 (25s ago)". */
export function restartsColumn(pod: V1Pod, nowMs: number): string {
  const statuses: ContainerStatus[] = pod.status.containerStatuses;
  const restarts = statuses.reduce((sum, s) => sum + s.restartCount, 0);
  const finished = statuses
    .map((s) => s.lastState.terminated?.finishedAt)
    .filter((time): time is string => typeof time === "string")
    .map((time) => Date.parse(time));
  if (restarts === 0 || finished.length === 0) return String(restarts);
  return `${restarts} (${formatAge(Math.max(...finished), nowMs)})`;
}

/** Returns AGE from the pod's creationTimestamp, such as "55s" as kubectl prints it, or "<unknown>". */
export function ageColumn(pod: V1Pod, nowMs: number): string {
  const created = pod.metadata.creationTimestamp;
  return created === null ? "<unknown>" : formatDuration(Date.parse(created), nowMs);
}
