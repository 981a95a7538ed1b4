import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";

import { ContainerState, CriError, type CriClient, type Image } from "../cri/index.js";
import { podKey, type Container, type LifecycleHandler, type Pod } from "../manifest/index.js";
import type { Logger } from "../log/logger.js";
import { backoffAfterFailedStart, backoffKey, type BackoffEntry, type BackoffReason } from "./backoff.js";
import type { EventInput, EventSink, PodRef } from "../status/events.js";
import { crashPoint } from "./crash-point.js";
import { parsePreStop, POST_START_TIMEOUT_SECONDS, preStopOf, runHook, runPreStop } from "./hooks.js";
import { OWNED_SELECTOR } from "./labels.js";
import type { KillContainer, KillSandbox, PodPlan, RemoveContainer, StartContainer } from "./plan.js";
import { containerConfig, podLogDirectory, sandboxConfig } from "./runtime-config.js";
import { prepareContainer, pullDecision, userOfImage } from "./container-setup.js";
import { IMAGE_STATUS_REUSE_MS, ImageStatusReader } from "./image-status.js";
import { fallbackNodeSettings, type NodeSettings } from "./node.js";
import type { ImageUser } from "./security.js";
import { preparePodVolumes, removePodState } from "./volumes.js";
import { effectivePullPolicy, type PullPolicy } from "../manifest/index.js";

/** Options of an Executor. */
export interface ExecutorOptions {
  cri: CriClient;
  /** Root of pod log directories. */
  podLogRoot: string;
  /** Stores a back-off entry after a failed start; the controller owns the map. */
  recordBackoff: (key: string, entry: BackoffEntry) => void;
  /** Reads a back-off entry, so repeated failures double the delay. */
  readBackoff: (key: string) => BackoffEntry | undefined;
  /** Clock in milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
  /** The node: its name and addresses, the state directory and cgroup driver. Default: read from this host, state under the temporary directory. */
  node?: NodeSettings;
  /** Receives kubelet-style events (Pulling, Created, Started, Killing, Failed...). Default: none. */
  events?: EventSink;
  /** Told about container starts and failed starts, for status and metrics. Default: none. */
  observer?: ExecutorObserver;
  /**
   * Reports whether a pod version is still the one its manifest describes, from the newest scan.
   * A plan checks it before it starts anything, because stopping the old version can take the
   * whole grace period. Default: every version is current.
   */
  isCurrent?: (pod: Pod) => boolean;
}

/** Receives what the executor did to containers. */
export interface ExecutorObserver {
  /** A container instance was started. */
  containerStarted?(pod: Pod, start: StartContainer): void;
  /** Pulling, creating or starting an instance failed; `reason` is the waiting reason kubelet shows right after. */
  startFailed?(pod: Pod, start: StartContainer, reason: "ErrImagePull" | "CreateContainerError" | "RunContainerError", message: string): void;
  /** A start failed because the runtime could not be reached; the container gets no back-off for it. */
  runtimeUnreachable?(error: CriError): void;
  /** A sandbox's IPs were read from PodSandboxStatus before a container of it was created. */
  sandboxAddresses?(sandboxId: string, ips: string[]): void;
}

/** Summary of one execution, for metrics and tests. */
export interface ExecutionResult {
  key: string;
  /** Number of steps that failed; each was logged and is retried by a later pass. */
  failures: number;
  /** All containers the plan started are running (or the plan started none). */
  complete: boolean;
}

/**
 * Carries out a PodPlan: the only code that changes the runtime. Each step is safe to repeat, so a
 * step that fails is logged and left to the next pass, which plans again from what the runtime
 * reports.
 */
export class Executor {
  private readonly cri: CriClient;
  private readonly podLogRoot: string;
  private readonly recordBackoff: ExecutorOptions["recordBackoff"];
  private readonly readBackoff: ExecutorOptions["readBackoff"];
  private readonly now: () => number;
  private readonly node: NodeSettings;
  private readonly events: EventSink | undefined;
  private readonly observer: ExecutorObserver | undefined;
  private readonly isCurrent: ((pod: Pod) => boolean) | undefined;
  /** Pulls in flight by image, so pods that share an image wait on one pull. */
  private readonly pulls = new Map<string, Promise<ImageCheck>>();
  /** ImageStatus results, shared by starts of the same image. */
  private readonly images: ImageStatusReader;

  constructor(options: ExecutorOptions) {
    this.cri = options.cri;
    this.podLogRoot = options.podLogRoot;
    this.recordBackoff = options.recordBackoff;
    this.readBackoff = options.readBackoff;
    this.now = options.now ?? Date.now;
    this.node = options.node ?? fallbackNodeSettings();
    this.events = options.events;
    this.observer = options.observer;
    this.isCurrent = options.isCurrent;
    this.images = new ImageStatusReader(this.cri, IMAGE_STATUS_REUSE_MS, this.now);
  }

  /**
   * Applies a plan in five steps:
   *   1. stop and remove the sandboxes the plan kills (containers first, with their grace period);
   *   2. stop and remove container instances that are no longer wanted;
   *   3. stop instances that failed a liveness or startup probe, keeping them for the restart count;
   *   4. run a new sandbox when the plan asks for one;
   *   5. create and start each container the plan starts, pulling its image when absent, then run
   *      its postStart hook.
   * Every stop of a running container runs its preStop hook first, within the grace period.
   * Steps 4 and 5 are skipped if an earlier step failed, so a pod is never started beside a copy
   * of itself that could not be stopped.
   */
  async execute(plan: PodPlan, log: Logger): Promise<ExecutionResult> {
    const result: ExecutionResult = { key: plan.key, failures: 0, complete: true };

    // 1. Kill sandboxes.
    const killed = await Promise.all(plan.killSandboxes.map((kill) => this.killSandbox(plan.key, kill, log)));
    result.failures += killed.filter((ok) => !ok).length;

    // 2. Remove unwanted container instances.
    const removed = await Promise.all(plan.removeContainers.map((remove) => this.removeContainer(plan.pod, remove, log)));
    result.failures += removed.filter((ok) => !ok).length;

    // 3. Stop unhealthy instances.
    const stopped = await Promise.all(plan.killContainers.map((kill) => this.killContainer(plan.pod, kill, log)));
    result.failures += stopped.filter((ok) => !ok).length;

    const pod = plan.pod;
    if (pod === undefined || result.failures > 0) {
      result.complete = result.failures === 0;
      return result;
    }
    // The manifest changed or went while the old version stopped: the next pass plans the new one.
    if (this.isCurrent?.(pod) === false) {
      log.info("skipped starting an outdated pod version", { podUID: pod.uid });
      result.complete = false;
      return result;
    }

    // 4. Run a new sandbox. The first container's image check does not depend on the sandbox, so it
    // runs while the runtime creates the sandbox. The pull decision still waits for the sandbox.
    let sandboxId = plan.sandboxId;
    const sandboxAttempt = plan.createSandbox?.attempt ?? 0;
    let earlyCheck: EarlyImageCheck | undefined;
    if (plan.createSandbox !== undefined) {
      earlyCheck = this.checkImageEarly(pod, plan.startContainers[0]);
      sandboxId = await this.runSandbox(pod, sandboxAttempt, log);
      if (sandboxId === undefined) {
        result.failures++;
        result.complete = false;
        return result;
      }
    }
    if (sandboxId === undefined) {
      return result;
    }

    // 5. Start containers, in the order of the spec.
    for (const start of plan.startContainers) {
      const early = earlyCheck?.name === start.name ? earlyCheck.status : undefined;
      const ok = await this.startContainer(pod, sandboxId, sandboxAttempt, start, log, early);
      if (!ok) {
        result.failures++;
        result.complete = false;
      }
    }
    return result;
  }

  private async killSandbox(key: string, kill: KillSandbox, log: Logger): Promise<boolean> {
    const sandboxLog = log.with({ sandboxID: short(kill.sandboxId) });
    const started = performance.now();
    // Stopping can take the whole grace period, so say at once that it has begun.
    sandboxLog.info("stopping sandbox", { reason: kill.reason, gracePeriodSeconds: kill.gracePeriodSeconds });
    try {
      const pod: PodRef = { namespace: kill.namespace, name: kill.name, uid: kill.podUID };
      if (kill.reason === "SandboxNotReady") {
        this.events?.record(pod, { type: "Normal", reason: "SandboxChanged", message: "Pod sandbox changed, it will be killed and re-created." });
      }
      await Promise.all(
        kill.running.map((c) =>
          this.stopRunning(pod, c.name, c.id, parsePreStop(c.preStop), kill.gracePeriodSeconds, `Stopping container ${c.name}`, log),
        ),
      );
      crashPoint("after-stop-containers", key);
      await ignoreNotFound(this.cri.stopPodSandbox(kill.sandboxId));
      crashPoint("after-stop-sandbox", key);
      // The containers are stopped, so the pod's files are removed while the runtime removes the
      // sandbox. They are removed even when that fails, because the next pass retries only the sandbox.
      const files = kill.removeLogs ? this.removePodFiles(kill, sandboxLog) : undefined;
      const [removal] = await Promise.allSettled([ignoreNotFound(this.cri.removePodSandbox(kill.sandboxId)), files]);
      if (removal.status === "rejected") throw removal.reason;
    } catch (error) {
      sandboxLog.error("failed to remove sandbox", { reason: kill.reason, err: error });
      return false;
    }

    sandboxLog.info("removed sandbox", {
      reason: kill.reason,
      message: kill.message,
      durationMs: performance.now() - started,
    });
    return true;
  }

  /** Removes the pod's log directory and its state (volumes, hosts file, termination messages, cgroups); failures are logged. */
  private async removePodFiles(kill: KillSandbox, log: Logger): Promise<void> {
    await Promise.all([
      this.removeLogDirectory(kill, log),
      removePodState(kill.podUID, this.node.stateDir).then((errors) => {
        for (const err of errors) log.warn("failed to remove pod state", { err });
      }),
    ]);
  }

  private async removeLogDirectory(kill: KillSandbox, log: Logger): Promise<void> {
    const directory = podLogDirectory(this.podLogRoot, { namespace: kill.namespace, name: kill.name, uid: kill.podUID });
    try {
      await rm(directory, { recursive: true, force: true });
    } catch (error) {
      log.warn("failed to remove pod log directory", { directory, err: error });
    }
  }

  private async removeContainer(pod: Pod | undefined, remove: RemoveContainer, log: Logger): Promise<boolean> {
    const containerLog = log.with({ container: remove.name, containerID: short(remove.containerId) });
    try {
      // Only a container left out of the spec can still be running; it gets its preStop hook and grace period.
      const status = remove.reason === "NotInSpec" && pod !== undefined ? await this.cri.containerStatus(remove.containerId).catch(() => undefined) : undefined;
      if (status !== undefined && pod !== undefined && status.state === ContainerState.CONTAINER_RUNNING) {
        const ref: PodRef = { namespace: pod.namespace, name: pod.name, uid: pod.uid };
        const message = `Container ${remove.name} definition changed, will be removed`;
        await this.stopRunning(ref, remove.name, remove.containerId, preStopOf(status), remove.gracePeriodSeconds, message, containerLog);
      }
      await ignoreNotFound(this.cri.stopContainer(remove.containerId, remove.gracePeriodSeconds));
      await ignoreNotFound(this.cri.removeContainer(remove.containerId));
    } catch (error) {
      containerLog.error("failed to remove container", { reason: remove.reason, err: error });
      return false;
    }
    containerLog.info("removed container", { reason: remove.reason });
    return true;
  }

  /** Stops an instance that failed a probe; it stays on the runtime, and the next pass restarts it per restartPolicy. */
  private async killContainer(pod: Pod | undefined, kill: KillContainer, log: Logger): Promise<boolean> {
    const containerLog = log.with({ container: kill.name, containerID: short(kill.containerId) });
    if (pod === undefined) {
      return true;
    }
    const ref: PodRef = { namespace: pod.namespace, name: pod.name, uid: pod.uid };
    const preStop = findContainer(pod, kill.name)?.lifecycle?.preStop;
    try {
      await this.stopRunning(ref, kill.name, kill.containerId, preStop, kill.gracePeriodSeconds, kill.message, containerLog);
    } catch (error) {
      containerLog.error("failed to stop container", { reason: kill.reason, err: error });
      return false;
    }
    containerLog.info("stopped container", { reason: kill.reason, message: kill.message });
    return true;
  }

  /**
   * Stops one running instance: a Killing event, its preStop hook within the grace period, then
   * StopContainer with what is left of it. A container already gone counts as stopped.
   */
  private async stopRunning(
    pod: PodRef,
    name: string,
    containerId: string,
    preStop: LifecycleHandler | undefined,
    gracePeriodSeconds: number,
    message: string,
    log: Logger,
  ): Promise<void> {
    this.events?.record(pod, { type: "Normal", reason: "Killing", message, container: name });
    let timeout = gracePeriodSeconds;
    if (preStop !== undefined && gracePeriodSeconds > 0) {
      const hook = await runPreStop(this.cri, containerId, preStop, gracePeriodSeconds);
      timeout = hook.remainingSeconds;
      if (hook.failure !== undefined) {
        this.events?.record(pod, { type: "Warning", reason: "FailedPreStopHook", message: `PreStopHook failed: ${hook.failure}`, container: name });
        log.warn("preStop hook failed", { container: name, containerID: short(containerId), err: hook.failure });
      }
    }
    await ignoreNotFound(this.cri.stopContainer(containerId, timeout));
  }

  /**
   * Starts the ImageStatus call of the container that `start` names. A failed call is handled where
   * its result is awaited, and a sandbox that fails to run leaves the result unread.
   */
  private checkImageEarly(pod: Pod, start: StartContainer | undefined): EarlyImageCheck | undefined {
    const container = start === undefined ? undefined : findContainer(pod, start.name);
    if (start === undefined || container === undefined) return undefined;
    const status = this.images.read(container.image);
    status.catch(() => undefined);
    return { name: start.name, status };
  }

  private async runSandbox(pod: Pod, attempt: number, log: Logger): Promise<string | undefined> {
    const started = performance.now();
    try {
      const logDirectory = podLogDirectory(this.podLogRoot, pod);
      // A new pod needs both directories, and each mkdir waits for the thread pool, so they are made together.
      await Promise.all([
        existsSync(logDirectory) ? undefined : mkdir(logDirectory, { recursive: true, mode: 0o755 }),
        preparePodVolumes(pod, this.node.stateDir),
      ]);
      const sandboxId = await this.cri.runPodSandbox(sandboxConfig(pod, attempt, this.podLogRoot, this.node));
      log.info("created sandbox", { sandboxID: short(sandboxId), attempt, durationMs: performance.now() - started });
      crashPoint("after-run-sandbox", podKey(pod));
      return sandboxId;
    } catch (error) {
      log.error("failed to create sandbox", { attempt, err: error });
      return undefined;
    }
  }

  private async startContainer(
    pod: Pod,
    sandboxId: string,
    sandboxAttempt: number,
    start: StartContainer,
    log: Logger,
    earlyStatus?: Promise<Image | undefined>,
  ): Promise<boolean> {
    const container = findContainer(pod, start.name);
    if (container === undefined) {
      return true;
    }
    const containerLog = log.with({ container: start.name, attempt: start.attempt });
    const started = performance.now();
    const sandbox = sandboxConfig(pod, sandboxAttempt, this.podLogRoot, this.node);
    const ref: PodRef = { namespace: pod.namespace, name: pod.name, uid: pod.uid };
    const event = (input: Omit<EventInput, "container">): void => this.events?.record(ref, { ...input, container: start.name });

    let stage: BackoffReason = "ImagePullBackOff";
    try {
      const pullStarted = performance.now();
      const { pulled, user } = await this.ensureImage(
        container.image,
        effectivePullPolicy(container),
        sandbox,
        containerLog,
        () => event({ type: "Normal", reason: "Pulling", message: `Pulling image "${container.image}"` }),
        earlyStatus,
      );
      const pullSeconds = ((performance.now() - pullStarted) / 1000).toFixed(3);
      event({
        type: "Normal",
        reason: "Pulled",
        message: pulled ? `Successfully pulled image "${container.image}" in ${pullSeconds}s` : `Container image "${container.image}" already present on machine`,
      });

      stage = "CreateContainerError";
      const containerId = await this.createContainer(sandboxId, pod, start, sandbox, user, containerLog);
      crashPoint("after-create-container", podKey(pod));
      event({ type: "Normal", reason: "Created", message: `Created container ${start.name}` });

      stage = "RunContainerError";
      await this.cri.startContainer(containerId);
      event({ type: "Normal", reason: "Started", message: `Started container ${start.name}` });
      containerLog.info("started container", {
        containerID: short(containerId),
        reason: start.reason,
        durationMs: performance.now() - started,
      });
      this.observer?.containerStarted?.(pod, start);

      const postStart = container.lifecycle?.postStart;
      if (postStart !== undefined) {
        await this.runPostStart(pod, ref, start.name, containerId, postStart, containerLog);
      }
      return true;
    } catch (error) {
      if (stage === "CreateContainerError") this.images.forget(container.image);
      // A runtime that cannot be reached is not the container's fault: the controller's runtime
      // retry paces the next attempt, and a back-off here would delay every pod after a restart.
      const key = backoffKey(pod.uid, start.name);
      const unreachable = error instanceof CriError && error.unreachable;
      const entry = unreachable ? undefined : backoffAfterFailedStart(this.readBackoff(key), start.attempt, stage, this.now());
      if (entry !== undefined) this.recordBackoff(key, entry);
      if (unreachable) this.observer?.runtimeUnreachable?.(error);
      const reason = stage === "ImagePullBackOff" ? "ErrImagePull" : stage;
      const message = error instanceof Error ? error.message : String(error);
      event({ type: "Warning", reason: "Failed", message: stage === "ImagePullBackOff" ? `Failed to pull image "${container.image}": ${message}` : `Error: ${message}` });
      this.observer?.startFailed?.(pod, start, reason, message);
      containerLog.error("failed to start container", { reason: stage, retryInMs: entry?.delayMs, err: error });
      return false;
    }
  }

  /**
   * Runs a postStart hook. When it fails the container is stopped, as kubelet does; it then exits
   * and is started again per restartPolicy, with back-off.
   */
  private async runPostStart(pod: Pod, ref: PodRef, name: string, containerId: string, hook: LifecycleHandler, log: Logger): Promise<void> {
    const failure = await runHook(this.cri, containerId, hook, POST_START_TIMEOUT_SECONDS);
    if (failure === undefined) {
      return;
    }
    this.events?.record(ref, { type: "Warning", reason: "FailedPostStartHook", message: `PostStartHook failed: ${failure}`, container: name });
    log.warn("postStart hook failed; stopping the container", { containerID: short(containerId), err: failure });
    const preStop = findContainer(pod, name)?.lifecycle?.preStop;
    const message = `FailedPostStartHook: container ${name} is stopped because its postStart hook failed`;
    await this.stopRunning(ref, name, containerId, preStop, pod.terminationGracePeriodSeconds, message, log);
  }

  /**
   * Creates a container instance. When the runtime says the name is reserved, an earlier call
   * (one that timed out here, or one made before tinylet restarted) created it already; that
   * instance is used if it was never started.
   */
  private async createContainer(
    sandboxId: string,
    pod: Pod,
    start: StartContainer,
    sandbox: ReturnType<typeof sandboxConfig>,
    imageUser: ImageUser | undefined,
    log: Logger,
  ): Promise<string> {
    const container = findContainer(pod, start.name);
    if (container === undefined) {
      throw new Error(`container ${start.name} is not in the spec of pod ${pod.namespace}/${pod.name}`);
    }
    try {
      const context = await prepareContainer(this.cri, this.images, pod, container, start.attempt, sandboxId, this.node, imageUser);
      if (!pod.hostNetwork) this.observer?.sandboxAddresses?.(sandboxId, [...context.podIPs]);
      return await this.cri.createContainer(sandboxId, containerConfig(pod, container, start.attempt, context), sandbox);
    } catch (error) {
      if (!(error instanceof CriError) || !/reserved/i.test(error.details)) {
        throw error;
      }
      const existing = (await this.cri.listContainers(OWNED_SELECTOR, sandboxId)).find(
        (c) => c.metadata?.name === start.name && c.metadata.attempt === start.attempt,
      );
      if (existing === undefined || existing.state !== ContainerState.CONTAINER_CREATED) {
        throw error;
      }
      log.info("adopted container created by an earlier call", { containerID: short(existing.id) });
      return existing.id;
    }
  }

  /** Pulls an image unless present and returns whether a pull ran. Calls `onPull` when a pull starts, or after a joined one ends. */
  private async ensureImage(
    image: string,
    policy: PullPolicy,
    sandbox: ReturnType<typeof sandboxConfig>,
    log: Logger,
    onPull: () => void,
    earlyStatus?: Promise<Image | undefined>,
  ): Promise<ImageCheck> {
    const inFlight = this.pulls.get(image);
    if (inFlight !== undefined) {
      // The shared step may have found the image present; only a joined pull is reported as one.
      const check = await inFlight;
      if (check.pulled) onPull();
      return check;
    }
    const pull = this.pullIfAbsent(image, policy, sandbox, log, onPull, earlyStatus).finally(() => this.pulls.delete(image));
    this.pulls.set(image, pull);
    return pull;
  }

  /**
   * Pulls the image per its imagePullPolicy: always, when absent, or never (failing when absent).
   * `earlyStatus` is an ImageStatus call already under way for this image.
   */
  private async pullIfAbsent(
    image: string,
    policy: PullPolicy,
    sandbox: ReturnType<typeof sandboxConfig>,
    log: Logger,
    onPull: () => void,
    earlyStatus: Promise<Image | undefined> | undefined,
  ): Promise<ImageCheck> {
    const status = await (earlyStatus ?? this.images.read(image));
    if (pullDecision(image, policy, status !== undefined) === "use") {
      return { pulled: false, user: userOfImage(status) };
    }
    const started = performance.now();
    onPull();
    log.info("pulling image", { image });
    const imageRef = await this.cri.pullImage(image, sandbox);
    this.images.forget(image);
    log.info("pulled image", { image, imageRef, durationMs: performance.now() - started });
    return { pulled: true };
  }
}

/** An ImageStatus call made for a container before its sandbox exists. */
interface EarlyImageCheck {
  /** The container the call is for. */
  name: string;
  status: Promise<Image | undefined>;
}

/** The outcome of the image step: whether it pulled, and the image's user when no pull followed its ImageStatus. */
interface ImageCheck {
  pulled: boolean;
  user?: ImageUser;
}

/** Resolves when the call succeeds or the object is already gone, so teardown steps can repeat. */
async function ignoreNotFound(call: Promise<void>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (error instanceof CriError && error.notFound) {
      return;
    }
    throw error;
  }
}

/** Returns the init container or container of the pod's spec named `name`. */
function findContainer(pod: Pod, name: string): Container | undefined {
  return pod.initContainers.find((c) => c.name === name) ?? pod.containers.find((c) => c.name === name);
}

/** Returns the first 13 characters of a runtime ID, as crictl shows them. */
export function short(id: string): string {
  return id.slice(0, 13);
}
