import { mkdir, rm } from "node:fs/promises";

import { ContainerState, CriError, type CriClient } from "../cri/index.js";
import type { Container, Pod } from "../manifest/index.js";
import type { Logger } from "../log/logger.js";
import { backoffAfterFailedStart, backoffKey, type BackoffEntry, type BackoffReason } from "./backoff.js";
import { OWNED_SELECTOR } from "./labels.js";
import type { KillSandbox, PodPlan, RemoveContainer, StartContainer } from "./plan.js";
import { containerConfig, podLogDirectory, sandboxConfig } from "./runtime-config.js";

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
}

/** What one execution did, for metrics and tests. */
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
  /** Pulls in flight by image, so pods that share an image wait on one pull. */
  private readonly pulls = new Map<string, Promise<void>>();

  constructor(options: ExecutorOptions) {
    this.cri = options.cri;
    this.podLogRoot = options.podLogRoot;
    this.recordBackoff = options.recordBackoff;
    this.readBackoff = options.readBackoff;
    this.now = options.now ?? Date.now;
  }

  /**
   * Applies a plan in four steps:
   *   1. stop and remove the sandboxes the plan kills (containers first, with their grace period);
   *   2. stop and remove container instances that are no longer wanted;
   *   3. run a new sandbox when the plan asks for one;
   *   4. create and start each container the plan starts, pulling its image when absent.
   * Steps 3 and 4 are skipped if step 1 or 2 failed, so a pod is never started beside a copy of
   * itself that could not be stopped.
   */
  async execute(plan: PodPlan, log: Logger): Promise<ExecutionResult> {
    const result: ExecutionResult = { key: plan.key, failures: 0, complete: true };

    // 1. Kill sandboxes.
    const killed = await Promise.all(plan.killSandboxes.map((kill) => this.killSandbox(kill, log)));
    result.failures += killed.filter((ok) => !ok).length;

    // 2. Remove unwanted container instances.
    const removed = await Promise.all(plan.removeContainers.map((remove) => this.removeContainer(remove, log)));
    result.failures += removed.filter((ok) => !ok).length;

    const pod = plan.pod;
    if (pod === undefined || result.failures > 0) {
      result.complete = result.failures === 0;
      return result;
    }

    // 3. Run a new sandbox.
    let sandboxId = plan.sandboxId;
    const sandboxAttempt = plan.createSandbox?.attempt ?? 0;
    if (plan.createSandbox !== undefined) {
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

    // 4. Start containers, in the order of the spec.
    for (const start of plan.startContainers) {
      const ok = await this.startContainer(pod, sandboxId, sandboxAttempt, start, log);
      if (!ok) {
        result.failures++;
        result.complete = false;
      }
    }
    return result;
  }

  private async killSandbox(kill: KillSandbox, log: Logger): Promise<boolean> {
    const sandboxLog = log.with({ sandboxID: short(kill.sandboxId) });
    const started = performance.now();
    try {
      const containers = await this.cri.listContainers(OWNED_SELECTOR, kill.sandboxId);
      const running = containers.filter((c) => c.state === ContainerState.CONTAINER_RUNNING);
      await Promise.all(running.map((c) => ignoreNotFound(this.cri.stopContainer(c.id, kill.gracePeriodSeconds))));
      await ignoreNotFound(this.cri.stopPodSandbox(kill.sandboxId));
      await ignoreNotFound(this.cri.removePodSandbox(kill.sandboxId));
    } catch (error) {
      sandboxLog.error("failed to remove sandbox", { reason: kill.reason, err: error });
      return false;
    }

    if (kill.removeLogs) {
      await this.removeLogDirectory(kill, sandboxLog);
    }
    sandboxLog.info("removed sandbox", {
      reason: kill.reason,
      message: kill.message,
      durationMs: performance.now() - started,
    });
    return true;
  }

  private async removeLogDirectory(kill: KillSandbox, log: Logger): Promise<void> {
    const directory = podLogDirectory(this.podLogRoot, { namespace: kill.namespace, name: kill.name, uid: kill.podUID });
    try {
      await rm(directory, { recursive: true, force: true });
    } catch (error) {
      log.warn("failed to remove pod log directory", { directory, err: error });
    }
  }

  private async removeContainer(remove: RemoveContainer, log: Logger): Promise<boolean> {
    const containerLog = log.with({ container: remove.name, containerID: short(remove.containerId) });
    try {
      await ignoreNotFound(this.cri.stopContainer(remove.containerId, remove.gracePeriodSeconds));
      await ignoreNotFound(this.cri.removeContainer(remove.containerId));
    } catch (error) {
      containerLog.error("failed to remove container", { reason: remove.reason, err: error });
      return false;
    }
    containerLog.info("removed container", { reason: remove.reason });
    return true;
  }

  private async runSandbox(pod: Pod, attempt: number, log: Logger): Promise<string | undefined> {
    const started = performance.now();
    try {
      await mkdir(podLogDirectory(this.podLogRoot, pod), { recursive: true, mode: 0o755 });
      const sandboxId = await this.cri.runPodSandbox(sandboxConfig(pod, attempt, this.podLogRoot));
      log.info("created sandbox", { sandboxID: short(sandboxId), attempt, durationMs: performance.now() - started });
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
  ): Promise<boolean> {
    const container = findContainer(pod, start.name);
    if (container === undefined) {
      return true;
    }
    const containerLog = log.with({ container: start.name, attempt: start.attempt });
    const started = performance.now();
    const sandbox = sandboxConfig(pod, sandboxAttempt, this.podLogRoot);

    let stage: BackoffReason = "ImagePullBackOff";
    try {
      await this.ensureImage(container.image, sandbox, containerLog);

      stage = "CreateContainerError";
      const containerId = await this.createContainer(sandboxId, pod, start, sandbox, containerLog);

      stage = "RunContainerError";
      await this.cri.startContainer(containerId);
      containerLog.info("started container", {
        containerID: short(containerId),
        reason: start.reason,
        durationMs: performance.now() - started,
      });
      return true;
    } catch (error) {
      const key = backoffKey(pod.uid, start.name);
      const entry = backoffAfterFailedStart(this.readBackoff(key), start.attempt, stage, this.now());
      this.recordBackoff(key, entry);
      containerLog.error("failed to start container", { reason: stage, retryInMs: entry.delayMs, err: error });
      return false;
    }
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
    log: Logger,
  ): Promise<string> {
    const container = findContainer(pod, start.name);
    if (container === undefined) {
      throw new Error(`container ${start.name} is not in the spec of pod ${pod.namespace}/${pod.name}`);
    }
    try {
      return await this.cri.createContainer(sandboxId, containerConfig(pod, container, start.attempt), sandbox);
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

  private async ensureImage(image: string, sandbox: ReturnType<typeof sandboxConfig>, log: Logger): Promise<void> {
    const inFlight = this.pulls.get(image);
    if (inFlight !== undefined) {
      return inFlight;
    }
    const pull = this.pullIfAbsent(image, sandbox, log).finally(() => this.pulls.delete(image));
    this.pulls.set(image, pull);
    return pull;
  }

  private async pullIfAbsent(image: string, sandbox: ReturnType<typeof sandboxConfig>, log: Logger): Promise<void> {
    if ((await this.cri.imageStatus(image)) !== undefined) {
      return;
    }
    const started = performance.now();
    log.info("pulling image", { image });
    const imageRef = await this.cri.pullImage(image, sandbox);
    log.info("pulled image", { image, imageRef, durationMs: performance.now() - started });
  }
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
