/**
 * A pod's Kubernetes v1.PodStatus, computed as kubelet computes it from what the runtime reports,
 * the probe results and the back-off entries. The function is pure, so the
 * daemon and the CLI (reading the runtime alone) compute the same status from the same facts.
 */
import type { Container, Pod, RestartPolicy } from "../manifest/index.js";
import { backoffKey, type BackoffEntry } from "../reconcile/backoff.js";
import type { ObservedContainer, ObservedSandbox } from "../reconcile/observed.js";
import { shouldRestart } from "../reconcile/plan.js";
import { qosClass } from "../reconcile/resources.js";
import type { DetailsView } from "./details.js";
import type { ContainerState, ContainerStateTerminated, ContainerStatus, PodCondition, PodPhase, PodStatus } from "./k8s-types.js";

/** Probe results of a running instance; see ProbeManager.status. */
export interface ProbeView {
  started: boolean;
  ready: boolean;
}

/** Reason and message of a container's latest failed start, kept until the next start. */
export interface StartFailure {
  reason: "ErrImagePull" | "CreateContainerError" | "RunContainerError";
  message: string;
}

/** Everything a pod's status is computed from. */
export interface PodStatusInput {
  /** The pod's spec: the desired pod, or one rebuilt from the runtime when only that is known. */
  pod: Pod;
  /** Sandboxes of this pod version (same UID). */
  sandboxes: readonly ObservedSandbox[];
  /** Container instances in those sandboxes. */
  containers: readonly ObservedContainer[];
  details: DetailsView;
  /** Back-off entries by backoffKey. */
  backoff: ReadonlyMap<string, BackoffEntry>;
  /** Failed starts by container name. */
  startFailures: ReadonlyMap<string, StartFailure>;
  /** Probe results by container ID; undefined for an instance without probes. */
  probes: (containerId: string) => ProbeView | undefined;
  /** The node's addresses, primary first; hostNetwork pods have them as pod IPs. */
  hostIPs: readonly string[];
  /** Runtime name used in container IDs (`containerd://ID`). */
  runtimeName: string;
  /** When tinylet first started this pod version, in milliseconds since the epoch; default: its oldest sandbox. */
  startTimeMs: number | undefined;
  nowMs: number;
}

/** Computes the pod's status; see the file comment. Conditions carry no transition times (see StatusStore). */
export function computePodStatus(input: PodStatusInput): PodStatus {
  const { pod } = input;
  const sandbox = [...input.sandboxes].filter((s) => s.ready).sort((a, b) => b.createdAtMs - a.createdAtMs)[0];

  const init = initProgress(pod, input.containers);
  const initContainerStatuses = pod.initContainers.map((container) => containerStatus(input, container, true, init.done));
  const containerStatuses = pod.containers.map((container) => containerStatus(input, container, false, init.done));

  const phase = podPhase(pod.restartPolicy, init, containerStatuses);
  const status: PodStatus = {
    phase,
    conditions: podConditions(pod, phase, init, initContainerStatuses, containerStatuses),
    hostIP: input.hostIPs[0] ?? "",
    hostIPs: input.hostIPs.map((ip) => ({ ip })),
    containerStatuses,
    qosClass: qosClass(pod),
  };

  let ips: string[] = [];
  if (sandbox !== undefined) {
    ips = pod.hostNetwork ? [...input.hostIPs] : (input.details.sandbox(sandbox.id)?.ips ?? []);
  }
  if (ips.length > 0) {
    status.podIP = ips[0] as string;
    status.podIPs = ips.map((ip) => ({ ip }));
  }

  const oldest = Math.min(...input.sandboxes.map((s) => s.createdAtMs));
  const startTimeMs = input.startTimeMs ?? (Number.isFinite(oldest) ? oldest : undefined);
  if (startTimeMs !== undefined) status.startTime = isoSeconds(startTimeMs);
  if (pod.initContainers.length > 0) status.initContainerStatuses = initContainerStatuses;
  return status;
}

/** How far the init containers got. */
interface InitProgress {
  /** Every init container succeeded, or a container of the spec already exists (kubelet's rule). */
  done: boolean;
  /** An init container failed and will not be run again (restartPolicy Never). */
  failed: boolean;
  /** Names of init containers that have not succeeded. */
  pending: string[];
}

function initProgress(pod: Pod, containers: readonly ObservedContainer[]): InitProgress {
  const latestOf = (name: string): ObservedContainer | undefined => newestFirst(containers.filter((c) => c.name === name))[0];
  const anyContainer = pod.containers.some((container) => latestOf(container.name) !== undefined);

  const pending: string[] = [];
  let failed = false;
  for (const init of pod.initContainers) {
    const latest = latestOf(init.name);
    if (latest?.state === "exited" && (latest.exit?.exitCode ?? 0) === 0) continue;
    pending.push(init.name);
    if (latest?.state === "exited" && pod.restartPolicy === "Never") failed = true;
  }
  return { done: anyContainer || pending.length === 0, failed, pending: anyContainer ? [] : pending };
}

function containerStatus(input: PodStatusInput, spec: Container, isInit: boolean, initDone: boolean): ContainerStatus {
  const instances = newestFirst(input.containers.filter((c) => c.name === spec.name));
  const [latest, previous] = instances;
  const entry = input.backoff.get(backoffKey(input.pod.uid, spec.name));
  const waitingOut = entry !== undefined && input.nowMs < entry.notBeforeMs ? entry : undefined;
  const startFailure = input.startFailures.get(spec.name);

  const status: ContainerStatus = {
    name: spec.name,
    state: {},
    lastState: {},
    ready: false,
    restartCount: latest?.attempt ?? 0,
    image: spec.image,
    imageID: "",
    started: false,
  };

  if (latest === undefined) {
    status.state = { waiting: waitingFor(input, spec.name, waitingOut, startFailure, initDone || isInit) };
    return status;
  }

  status.containerID = `${input.runtimeName}://${latest.id}`;
  status.imageID = input.details.container(latest.id)?.imageRef ?? "";
  const previousExit = previous === undefined ? undefined : terminated(input, previous);
  if (previousExit !== undefined) status.lastState = { terminated: previousExit };

  switch (latest.state) {
    case "running": {
      const startedAtMs = input.details.container(latest.id)?.startedAtMs || latest.createdAtMs;
      status.state = { running: { startedAt: isoSeconds(startedAtMs) } };
      const probes = input.probes(latest.id);
      status.started = probes?.started ?? true;
      status.ready = isInit ? false : (probes?.ready ?? true);
      return status;
    }
    case "created":
      status.state = { waiting: startFailure ?? { reason: "ContainerCreating" } };
      return status;
    case "unknown":
      status.state = { waiting: { reason: "ContainerStatusUnknown", message: "the runtime does not know the container's state" } };
      return status;
    case "exited":
      break;
  }

  const exit = terminated(input, latest) as ContainerStateTerminated;
  const restarting = shouldRestart(isInit && input.pod.restartPolicy !== "Never" ? "OnFailure" : input.pod.restartPolicy, exit.exitCode);
  if (restarting && waitingOut !== undefined) {
    // Waiting out a back-off: the exit becomes the last state, as kubectl shows it.
    status.state = { waiting: waitingFor(input, spec.name, waitingOut, startFailure, true) };
    status.lastState = { terminated: exit };
    return status;
  }
  status.state = { terminated: exit };
  status.ready = isInit && exit.exitCode === 0;
  return status;
}

/** Returns the waiting state of a container that has no running instance. */
function waitingFor(
  input: PodStatusInput,
  name: string,
  entry: BackoffEntry | undefined,
  startFailure: StartFailure | undefined,
  initDone: boolean,
): ContainerState["waiting"] {
  if (entry !== undefined) {
    const delaySeconds = Math.round(entry.delayMs / 1000);
    const message =
      entry.reason === "CrashLoopBackOff"
        ? `back-off ${delaySeconds}s restarting failed container ${name} of pod ${input.pod.namespace}/${input.pod.name}`
        : entry.reason === "ImagePullBackOff"
          ? `back-off ${delaySeconds}s pulling image ${JSON.stringify(specImage(input.pod, name))}${startFailure ? `: ${startFailure.message}` : ""}`
          : (startFailure?.message ?? `back-off ${delaySeconds}s before starting container ${name}`);
    return { reason: entry.reason, message };
  }
  if (startFailure !== undefined) return { reason: startFailure.reason, message: startFailure.message };
  return { reason: initDone ? "ContainerCreating" : "PodInitializing" };
}

function terminated(input: PodStatusInput, instance: ObservedContainer): ContainerStateTerminated | undefined {
  if (instance.state !== "exited") return undefined;
  const exit = instance.exit;
  const result: ContainerStateTerminated = {
    exitCode: exit?.exitCode ?? 0,
    reason: exit?.reason || ((exit?.exitCode ?? 0) === 0 ? "Completed" : "Error"),
    startedAt: exit !== undefined && exit.startedAtMs > 0 ? isoSeconds(exit.startedAtMs) : null,
    finishedAt: exit !== undefined && exit.finishedAtMs > 0 ? isoSeconds(exit.finishedAtMs) : null,
    containerID: `${input.runtimeName}://${instance.id}`,
  };
  const message = input.details.container(instance.id)?.message;
  if (message) result.message = message;
  return result;
}

/** Returns the pod phase by kubelet's rules. */
function podPhase(policy: RestartPolicy, init: InitProgress, statuses: readonly ContainerStatus[]): PodPhase {
  if (init.failed) return "Failed";
  if (!init.done) return "Pending";

  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const status of statuses) {
    if (status.state.running !== undefined) running++;
    else if (status.state.terminated !== undefined) {
      stopped++;
      if (status.state.terminated.exitCode === 0) succeeded++;
    } else if (status.lastState.terminated !== undefined) {
      // Waiting to restart after an exit counts as stopped, not as never started.
      stopped++;
    } else waiting++;
  }

  if (waiting > 0) return "Pending";
  if (running > 0) return "Running";
  if (stopped === 0) return "Pending";
  switch (policy) {
    case "Always":
      return "Running";
    case "OnFailure":
      return succeeded === stopped ? "Succeeded" : "Running";
    case "Never":
      return succeeded === stopped ? "Succeeded" : "Failed";
  }
}

function podConditions(
  pod: Pod,
  phase: PodPhase,
  init: InitProgress,
  initStatuses: readonly ContainerStatus[],
  statuses: readonly ContainerStatus[],
): PodCondition[] {
  const condition = (type: PodCondition["type"], ok: boolean, reason?: string, message?: string): PodCondition => {
    const result: PodCondition = { type, status: ok ? "True" : "False", lastProbeTime: null, lastTransitionTime: null };
    if (!ok && reason !== undefined) result.reason = reason;
    if (!ok && message !== undefined) result.message = message;
    return result;
  };

  const uninitialized = init.done ? [] : initStatuses.filter((s) => !s.ready).map((s) => s.name);
  const unready = statuses.filter((s) => !s.ready).map((s) => s.name);
  const completed = phase === "Succeeded" || phase === "Failed";
  const readyReason = completed ? "PodCompleted" : "ContainersNotReady";
  const readyMessage = completed ? undefined : `containers with unready status: [${unready.join(" ")}]`;
  const containersReady = !completed && unready.length === 0;

  return [
    condition("PodScheduled", true),
    condition("Initialized", init.done, "ContainersNotInitialized", `containers with incomplete status: [${uninitialized.join(" ")}]`),
    condition("ContainersReady", containersReady, readyReason, readyMessage),
    condition("Ready", containersReady, readyReason, readyMessage),
  ];
}

function specImage(pod: Pod, name: string): string {
  return [...pod.initContainers, ...pod.containers].find((c) => c.name === name)?.image ?? "";
}

function newestFirst(instances: readonly ObservedContainer[]): ObservedContainer[] {
  return [...instances].sort((a, b) => b.attempt - a.attempt || b.createdAtMs - a.createdAtMs);
}

/** Formatted times by whole second, because every pass formats the same start and transition times again. */
const isoCache = new Map<number, string>();
const ISO_CACHE_LIMIT = 4096;

/** Formats a time as Kubernetes writes metav1.Time: RFC 3339 with whole seconds. */
export function isoSeconds(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  let text = isoCache.get(seconds);
  if (text === undefined) {
    text = new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
    if (isoCache.size >= ISO_CACHE_LIMIT) isoCache.clear();
    isoCache.set(seconds, text);
  }
  return text;
}
