import type { Container, Pod, RestartPolicy } from "../manifest/index.js";
import { podKey } from "../manifest/index.js";
import { backoffAfterExit, backoffKey, type BackoffEntry, type BackoffReason } from "./backoff.js";
import type { ObservedContainer, ObservedSandbox, ObservedState } from "./observed.js";

/** Reason a sandbox is stopped and removed. */
export type KillSandboxReason = "PodRemoved" | "PodChanged" | "SandboxNotReady" | "DuplicateSandbox";

/** Stop a sandbox's containers with their grace period, then stop and remove the sandbox. */
export interface KillSandbox {
  sandboxId: string;
  /** Identity of the pod version the sandbox runs, read from its labels. */
  name: string;
  namespace: string;
  podUID: string;
  reason: KillSandboxReason;
  /** A sentence for the log, such as "pod definition changed". */
  message: string;
  /** Seconds each running container gets between SIGTERM and SIGKILL. */
  gracePeriodSeconds: number;
  /** True when no sandbox of this pod UID will remain, so its log directory can go too. */
  removeLogs: boolean;
  /**
   * The sandbox's running containers as the pass listed them. A pass plans a pod only after its
   * previous plan ended, so nothing has started in the sandbox since. StopPodSandbox would kill a
   * container missing here, only without the grace period.
   */
  running: ObservedContainer[];
}

/** Reason a container instance is removed. */
export type RemoveContainerReason = "OldInstance" | "NeverStarted" | "UnknownState" | "NotInSpec";

export interface RemoveContainer {
  containerId: string;
  name: string;
  reason: RemoveContainerReason;
  /** Running instances are stopped first, with this grace period in seconds. */
  gracePeriodSeconds: number;
}

/** Reason a running container instance is stopped and kept, to be started again per restartPolicy. */
export type KillContainerReason = "LivenessProbeFailed" | "StartupProbeFailed";

/** Stop one running instance with its grace period; it stays on the runtime as the exited instance. */
export interface KillContainer {
  containerId: string;
  name: string;
  reason: KillContainerReason;
  /** A sentence for events and logs, such as "container main failed liveness probe, will be restarted". */
  message: string;
  gracePeriodSeconds: number;
}

/** A running instance the prober found unhealthy; the controller passes these in by container ID. */
export interface UnhealthyInstance {
  probe: "liveness" | "startup";
  message: string;
  /** The probe's own grace period in seconds; undefined means the pod's. */
  gracePeriodSeconds: number | undefined;
}

/** Reason a new container instance is started. */
export type StartContainerReason = "NotStarted" | "Exited" | "NeverStarted" | "UnknownState" | "SandboxCreated";

/** Create and start one new instance of a container of the pod's spec. */
export interface StartContainer {
  name: string;
  attempt: number;
  reason: StartContainerReason;
}

/** A container that needs a start but waits for its back-off to pass. */
export interface Waiting {
  name: string;
  reason: BackoffReason;
  /** Milliseconds since the epoch when the container may start. */
  retryAtMs: number;
}

/** Everything to do for one pod in one pass; empty lists mean nothing to do. */
export interface PodPlan {
  /** `namespace/name` of the pod. */
  key: string;
  /** The desired pod, or undefined when every sandbox of this key is to go. */
  pod: Pod | undefined;
  killSandboxes: KillSandbox[];
  /** Set when the pod needs a new sandbox; its containers then start in it. */
  createSandbox: { attempt: number } | undefined;
  /** The ready sandbox the containers run in, when no new one is created. */
  sandboxId: string | undefined;
  removeContainers: RemoveContainer[];
  /** Running instances to stop for a failed liveness or startup probe. */
  killContainers: KillContainer[];
  startContainers: StartContainer[];
  waiting: Waiting[];
  /** Back-off entries to store before acting, by backoffKey. */
  backoffUpdates: Map<string, BackoffEntry>;
}

/** Grace period used when neither the manifest nor the sandbox sets one, in seconds. */
const FALLBACK_GRACE_PERIOD_SECONDS = 30;

/** Returns a plan for `key` with nothing to do, for the planner to fill in. */
export function emptyPlan(key: string, pod: Pod | undefined): PodPlan {
  return {
    key,
    pod,
    killSandboxes: [],
    createSandbox: undefined,
    sandboxId: undefined,
    removeContainers: [],
    killContainers: [],
    startContainers: [],
    waiting: [],
    backoffUpdates: new Map(),
  };
}

/** Reports whether a plan changes anything on the runtime. */
export function hasWork(plan: PodPlan): boolean {
  return (
    plan.killSandboxes.length > 0 ||
    plan.createSandbox !== undefined ||
    plan.removeContainers.length > 0 ||
    plan.killContainers.length > 0 ||
    plan.startContainers.length > 0
  );
}

/**
 * Computes what to do for every pod that is desired or observed: a pure function of the desired
 * pods, what the runtime reports, the back-off entries and the current time. Pods whose plan is
 * empty are included, so callers can tell "nothing to do" from "not considered".
 */
export function computePlan(
  desired: readonly Pod[],
  observed: ObservedState,
  backoff: ReadonlyMap<string, BackoffEntry>,
  nowMs: number,
  unhealthy: ReadonlyMap<string, UnhealthyInstance> = new Map(),
): PodPlan[] {
  const desiredByKey = new Map<string, Pod>();
  for (const pod of desired) {
    desiredByKey.set(podKey(pod), pod);
  }

  const sandboxesByKey = new Map<string, ObservedSandbox[]>();
  for (const sandbox of observed.sandboxes) {
    const key = podKey(sandbox);
    const list = sandboxesByKey.get(key) ?? [];
    list.push(sandbox);
    sandboxesByKey.set(key, list);
  }

  const containersBySandbox = new Map<string, ObservedContainer[]>();
  for (const container of observed.containers) {
    const list = containersBySandbox.get(container.sandboxId) ?? [];
    list.push(container);
    containersBySandbox.set(container.sandboxId, list);
  }

  const keys = [...new Set([...desiredByKey.keys(), ...sandboxesByKey.keys()])].sort();
  return keys.map((key) =>
    planPod(key, desiredByKey.get(key), sandboxesByKey.get(key) ?? [], containersBySandbox, backoff, nowMs, unhealthy),
  );
}

/** Computes the plan of one pod; see computePlan. */
export function planPod(
  key: string,
  pod: Pod | undefined,
  sandboxes: readonly ObservedSandbox[],
  containersBySandbox: ReadonlyMap<string, readonly ObservedContainer[]>,
  backoff: ReadonlyMap<string, BackoffEntry>,
  nowMs: number,
  unhealthy: ReadonlyMap<string, UnhealthyInstance> = new Map(),
): PodPlan {
  const plan = emptyPlan(key, pod);

  // 1. Without a manifest, every sandbox of this pod goes.
  if (pod === undefined) {
    for (const sandbox of sandboxes) {
      plan.killSandboxes.push(kill(sandbox, containersBySandbox, "PodRemoved", "manifest removed", true));
    }
    return plan;
  }

  // 2. Sandboxes of an older version of the pod go; of the current version, the newest ready one stays.
  const current = sandboxes.filter((sandbox) => sandbox.uid === pod.uid);
  for (const sandbox of sandboxes) {
    if (sandbox.uid !== pod.uid) {
      plan.killSandboxes.push(kill(sandbox, containersBySandbox, "PodChanged", "pod definition changed", true));
    }
  }

  const ready = current.filter((sandbox) => sandbox.ready).sort(newestFirst);
  const keep = ready[0];
  const allInstances = current.flatMap((sandbox) => containersBySandbox.get(sandbox.id) ?? []);

  // A finished pod (every container exited for good) keeps its stopped sandbox as the record of that.
  if (keep === undefined && current.length > 0 && podFinished(pod, allInstances)) {
    return plan;
  }

  for (const sandbox of current) {
    if (sandbox === keep) {
      continue;
    }
    if (sandbox.ready) {
      plan.killSandboxes.push(kill(sandbox, containersBySandbox, "DuplicateSandbox", "another ready sandbox runs this pod", false, pod));
    } else {
      plan.killSandboxes.push(kill(sandbox, containersBySandbox, "SandboxNotReady", "sandbox is not ready", false, pod));
    }
  }

  // 3. Attempts continue across every instance of this pod version, so a new instance never reuses a name.
  const nextAttempt = (name: string): number => {
    const attempts = allInstances.filter((c) => c.name === name).map((c) => c.attempt);
    return attempts.length === 0 ? 0 : Math.max(...attempts) + 1;
  };

  // 4. No ready sandbox: make one, and start the first init container in it, or else every container.
  if (keep === undefined) {
    const sandboxAttempts = current.map((sandbox) => sandbox.attempt);
    plan.createSandbox = { attempt: sandboxAttempts.length === 0 ? 0 : Math.max(...sandboxAttempts) + 1 };
    const firstInit = pod.initContainers[0];
    const toStart = firstInit === undefined ? pod.containers : [firstInit];
    for (const container of toStart) {
      plan.startContainers.push({ name: container.name, attempt: nextAttempt(container.name), reason: "SandboxCreated" });
    }
    return plan;
  }

  // 5. In the kept sandbox, instances of names outside the spec go.
  plan.sandboxId = keep.id;
  const inSandbox = [...(containersBySandbox.get(keep.id) ?? [])].sort(newestAttemptFirst);
  const specNames = new Set([...pod.initContainers, ...pod.containers].map((c) => c.name));
  for (const instance of inSandbox) {
    if (!specNames.has(instance.name)) {
      plan.removeContainers.push(remove(instance, "NotInSpec", pod));
    }
  }

  // 6. Init containers run one at a time, each to success; the containers wait until all have.
  const instancesOf = (name: string): ObservedContainer[] => inSandbox.filter((c) => c.name === name);
  if (!planInitContainers(plan, pod, instancesOf, nextAttempt, backoff, nowMs)) {
    return plan;
  }

  // 7. Each container of the spec has one live instance, restarted per restartPolicy.
  for (const container of pod.containers) {
    planContainer(plan, pod, container, instancesOf(container.name), nextAttempt(container.name), backoff, nowMs, unhealthy);
  }
  return plan;
}

/**
 * Adds the step for the first init container that has not succeeded yet, and returns whether all
 * have succeeded. Once any container of the spec exists in the sandbox, the pod counts as
 * initialized, as in kubelet, so init containers never run again beside running containers.
 */
function planInitContainers(
  plan: PodPlan,
  pod: Pod,
  instancesOf: (name: string) => ObservedContainer[],
  nextAttempt: (name: string) => number,
  backoff: ReadonlyMap<string, BackoffEntry>,
  nowMs: number,
): boolean {
  if (pod.containers.some((container) => instancesOf(container.name).length > 0)) {
    return true;
  }

  for (const init of pod.initContainers) {
    const instances = instancesOf(init.name);
    const latest = instances[0];
    if (latest?.state === "exited" && (latest.exit?.exitCode ?? 0) === 0) {
      // Succeeded; older failed attempts are kept out of the way.
      for (const older of instances.slice(1)) {
        plan.removeContainers.push(remove(older, "OldInstance", pod));
      }
      continue;
    }
    // An init container that failed is retried unless restartPolicy is Never, as in kubelet.
    const policy: RestartPolicy = pod.restartPolicy === "Never" ? "Never" : "OnFailure";
    planContainer(plan, { ...pod, restartPolicy: policy }, init, instances, nextAttempt(init.name), backoff, nowMs);
    return false;
  }
  return true;
}

/** Adds the steps for one container of the spec, given its instances in the kept sandbox, newest first. */
function planContainer(
  plan: PodPlan,
  pod: Pod,
  container: Container,
  instances: readonly ObservedContainer[],
  attempt: number,
  backoff: ReadonlyMap<string, BackoffEntry>,
  nowMs: number,
  unhealthy: ReadonlyMap<string, UnhealthyInstance> = new Map(),
): void {
  const [latest, , ...older] = instances;
  const key = backoffKey(pod.uid, container.name);
  const entry = backoff.get(key);

  // The latest instance and the one before it stay, so `logs --previous` has something to show.
  for (const instance of older) {
    plan.removeContainers.push(remove(instance, "OldInstance", pod));
  }

  if (latest === undefined) {
    startOrWait(plan, container.name, attempt, "NotStarted", entry, nowMs);
    return;
  }

  switch (latest.state) {
    case "running": {
      // A failed liveness or startup probe stops the instance; the next pass restarts it per restartPolicy.
      const failed = unhealthy.get(latest.id);
      if (failed !== undefined) {
        plan.killContainers.push({
          containerId: latest.id,
          name: latest.name,
          reason: failed.probe === "liveness" ? "LivenessProbeFailed" : "StartupProbeFailed",
          message: failed.message,
          gracePeriodSeconds: failed.gracePeriodSeconds ?? pod.terminationGracePeriodSeconds,
        });
      }
      return;
    }
    case "created":
      // Created but never started: tinylet stopped between the two calls, or the start failed.
      plan.removeContainers.push(remove(latest, "NeverStarted", pod));
      startOrWait(plan, container.name, attempt, "NeverStarted", entry, nowMs);
      return;
    case "unknown":
      plan.removeContainers.push(remove(latest, "UnknownState", pod));
      startOrWait(plan, container.name, attempt, "UnknownState", entry, nowMs);
      return;
    case "exited":
      break;
  }

  const exitCode = latest.exit?.exitCode ?? 0;
  if (!shouldRestart(pod.restartPolicy, exitCode)) {
    return;
  }

  // A failed start is already recorded in the entry; a new exit gets a new, longer delay.
  let current = entry;
  if (entry === undefined || (entry.failure !== latest.id && !entry.failure.startsWith("start:"))) {
    current = backoffAfterExit(entry, latest.id, latest.exit?.startedAtMs ?? 0, latest.exit?.finishedAtMs ?? 0, nowMs);
    plan.backoffUpdates.set(key, current);
  }
  startOrWait(plan, container.name, attempt, "Exited", current, nowMs);
}

function startOrWait(
  plan: PodPlan,
  name: string,
  attempt: number,
  reason: StartContainerReason,
  entry: BackoffEntry | undefined,
  nowMs: number,
): void {
  if (entry !== undefined && nowMs < entry.notBeforeMs) {
    plan.waiting.push({ name, reason: entry.reason, retryAtMs: entry.notBeforeMs });
    return;
  }
  plan.startContainers.push({ name, attempt, reason });
}

/** Reports whether restartPolicy starts a container again after it exited with exitCode. */
export function shouldRestart(policy: RestartPolicy, exitCode: number): boolean {
  switch (policy) {
    case "Always":
      return true;
    case "OnFailure":
      return exitCode !== 0;
    case "Never":
      return false;
  }
}

/** Reports whether every container's latest instance has exited for good under restartPolicy. */
function podFinished(pod: Pod, instances: readonly ObservedContainer[]): boolean {
  const failedInit = pod.initContainers.some((init) => {
    const latest = instances.filter((c) => c.name === init.name).sort(newestAttemptFirst)[0];
    return latest?.state === "exited" && (latest.exit?.exitCode ?? 0) !== 0;
  });
  if (failedInit && pod.restartPolicy === "Never") {
    return true;
  }
  return pod.containers.every((container) => {
    const latest = instances.filter((c) => c.name === container.name).sort(newestAttemptFirst)[0];
    return latest?.state === "exited" && !shouldRestart(pod.restartPolicy, latest.exit?.exitCode ?? 0);
  });
}

function kill(
  sandbox: ObservedSandbox,
  containersBySandbox: ReadonlyMap<string, readonly ObservedContainer[]>,
  reason: KillSandboxReason,
  message: string,
  removeLogs: boolean,
  pod?: Pod,
): KillSandbox {
  return {
    sandboxId: sandbox.id,
    name: sandbox.name,
    namespace: sandbox.namespace,
    podUID: sandbox.uid,
    reason,
    message,
    gracePeriodSeconds: pod?.terminationGracePeriodSeconds ?? sandbox.terminationGracePeriodSeconds ?? FALLBACK_GRACE_PERIOD_SECONDS,
    removeLogs,
    running: (containersBySandbox.get(sandbox.id) ?? []).filter((container) => container.state === "running"),
  };
}

function remove(instance: ObservedContainer, reason: RemoveContainerReason, pod: Pod): RemoveContainer {
  return { containerId: instance.id, name: instance.name, reason, gracePeriodSeconds: pod.terminationGracePeriodSeconds };
}

function newestFirst(a: ObservedSandbox, b: ObservedSandbox): number {
  return b.createdAtMs - a.createdAtMs || b.attempt - a.attempt;
}

function newestAttemptFirst(a: ObservedContainer, b: ObservedContainer): number {
  return b.attempt - a.attempt || b.createdAtMs - a.createdAtMs;
}
