import type { CriClient } from "../cri/index.js";
import { ContainerState, CriError } from "../cri/index.js";
import type { Logger } from "../log/logger.js";
import type { ManifestDirectory, ManifestProblem, Pod } from "../manifest/index.js";
import { podKey } from "../manifest/index.js";
import type { BackoffEntry } from "./backoff.js";
import { fallbackNodeSettings, podsForNode, type NodeSettings } from "./node.js";
import { Executor } from "./executor.js";
import { OWNED_SELECTOR } from "./labels.js";
import { observeContainer, observeSandbox, type ContainerExit, type ObservedState } from "./observed.js";
import { computePlan, hasWork, type PodPlan } from "./plan.js";
import { runningContainers, type ProbeManager } from "../probe/index.js";
import type { RuntimeDetails } from "../status/details.js";
import type { EventSink } from "../status/events.js";
import type { StatusStore } from "../status/store.js";

/** Options of a Controller. */
export interface ControllerOptions {
  cri: CriClient;
  manifests: ManifestDirectory;
  logger: Logger;
  /** Root of pod log directories. */
  podLogRoot: string;
  /** Time between full passes, in milliseconds; file events start a pass sooner. Default 2 000 ms. */
  intervalMs?: number;
  /** Most pods worked on at once. Default 4. */
  maxParallel?: number;
  /** Clock in milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
  /** Called after every pass, for housekeeping such as re-arming a file watcher. */
  onPass?: () => void;
  /** Called with the desired pods after every directory scan, for reports such as privileged pods. */
  onDesired?: (pods: readonly Pod[]) => void;
  /**
   * Called when a pass finds nothing left to do after passes that dispatched work, for housekeeping
   * such as a garbage collection. Default: none.
   */
  onSettled?: () => void;
  /** The node: name, addresses, state directory, cgroup driver and pod naming. Default: read from this host, state under the temporary directory. */
  node?: NodeSettings;
  /** Runs the probes of running containers; its unhealthy containers are planned for a restart. Default: none. */
  probes?: ProbeManager;
  /** Container start times and pod IPs, refreshed after each listing. Default: none. */
  details?: RuntimeDetails;
  /** Receives each pass, so readers get pod statuses. Default: none. */
  status?: StatusStore;
  /** Receives kubelet-style events. Default: none. */
  events?: EventSink;
  /** Receives pass durations, restarts and rejected manifests. Default: none. */
  metrics?: ControllerMetrics;
}

/** The metrics a controller feeds. */
export interface ControllerMetrics {
  observePass(durationMs: number): void;
  countRestart(pod: { namespace: string; name: string; uid: string }, container: string): void;
  countRejected(): void;
}

/** Whether the controller works: a recent pass listed the runtime. */
export type ControllerHealth = { ok: true } | { ok: false; reason: string };

/** Connection to the runtime as the controller last saw it. */
type RuntimeState =
  | { kind: "unknown" }
  | { kind: "connected" }
  | { kind: "unreachable"; error: CriError; retryAtMs: number; retryDelayMs: number };

/** One pod's worker: at most one plan runs per pod, and a newer plan replaces a queued one. */
type Worker =
  | { kind: "idle"; finishedAt: number }
  | { kind: "queued"; plan: PodPlan }
  | { kind: "running"; plan: PodPlan };

/** First and longest wait before trying an unreachable runtime again, in milliseconds. */
const RUNTIME_RETRY_INITIAL_MS = 500;
const RUNTIME_RETRY_MAX_MS = 10_000;

/** Summary of one pass, for tests. */
export interface PassResult {
  /** Pods whose plan had work and was handed to a worker. */
  dispatched: string[];
  /** Pods with work that were skipped because their worker was busy. */
  deferred: string[];
  runtimeReachable: boolean;
}

/**
 * Keeps the runtime in line with the manifests directory. A pass scans the directory, lists what
 * tinylet owns on the runtime (one ListPodSandbox and one ListContainers), plans every pod and hands
 * the plans with work to per-pod workers that run at most `maxParallel` at once. Passes run on a
 * timer and on file events. The last worker to finish, or one whose pod had a plan deferred while
 * it ran, requests another pass, which checks the work.
 */
export class Controller {
  private readonly cri: CriClient;
  private readonly manifests: ManifestDirectory;
  private readonly log: Logger;
  private readonly executor: Executor;
  private readonly intervalMs: number;
  private readonly maxParallel: number;
  private readonly now: () => number;
  private readonly onPass: (() => void) | undefined;
  private readonly onDesired: ((pods: readonly Pod[]) => void) | undefined;
  private readonly onSettled: (() => void) | undefined;
  private readonly node: NodeSettings;
  private readonly probes: ProbeManager | undefined;
  private readonly details: RuntimeDetails | undefined;
  private readonly status: StatusStore | undefined;
  private readonly events: EventSink | undefined;
  private readonly metrics: ControllerMetrics | undefined;
  /** When the latest pass that listed the runtime finished, in milliseconds since the epoch. */
  private lastListedAtMs: number | undefined;

  private readonly workers = new Map<string, Worker>();
  private readonly backoff = new Map<string, BackoffEntry>();
  /** Exit details by container ID; an exited container's status never changes, so one call each. */
  private readonly exits = new Map<string, ContainerExit>();
  /** Waiting reasons already logged, by `pod/container`, so a back-off is logged once per delay. */
  private readonly waitingLogged = new Map<string, number>();
  private runtime: RuntimeState = { kind: "unknown" };
  /** Workers running, and those of them that count against maxParallel (all but teardowns). */
  private running = 0;
  private runningBounded = 0;
  /** Inputs of the latest pass that found nothing to do; a pass with the same inputs skips planning. */
  private settled: PassInputs | undefined;
  /** A pass dispatched work since the controller last settled. */
  private workedSinceSettled = false;

  /** The UID of each pod's version in the newest scan, by pod key. */
  private desiredUIDs = new Map<string, string>();
  /** Pods whose plan was skipped because their worker was busy; its end starts a pass. */
  private readonly deferred = new Set<string>();
  private passInFlight: Promise<PassResult> | undefined;
  /** Error of the latest pass when it failed as a whole (such as an insecure manifests directory). */
  private lastPassError: Error | undefined;
  private passRequested = false;
  private tickTimer: NodeJS.Timeout | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(options: ControllerOptions) {
    this.cri = options.cri;
    this.manifests = options.manifests;
    this.log = options.logger;
    this.intervalMs = options.intervalMs ?? 2_000;
    this.maxParallel = Math.max(1, options.maxParallel ?? 4);
    this.now = options.now ?? Date.now;
    this.onPass = options.onPass;
    this.onDesired = options.onDesired;
    this.onSettled = options.onSettled;
    this.node = options.node ?? fallbackNodeSettings();
    this.probes = options.probes;
    this.details = options.details;
    this.status = options.status;
    this.events = options.events;
    this.metrics = options.metrics;
    this.executor = new Executor({
      cri: options.cri,
      podLogRoot: options.podLogRoot,
      recordBackoff: (key, entry) => this.backoff.set(key, entry),
      readBackoff: (key) => this.backoff.get(key),
      now: this.now,
      node: this.node,
      ...(options.events === undefined ? {} : { events: options.events }),
      observer: {
        containerStarted: (pod, start) => {
          this.status?.clearStartFailure(pod, start.name);
          if (start.attempt > 0) this.metrics?.countRestart(pod, start.name);
        },
        startFailed: (pod, start, reason, message) => this.status?.recordStartFailure(pod, start.name, { reason, message }),
        runtimeUnreachable: (error) => this.runtimeFailed(error),
        // The status needs the same addresses, so this spares it a second PodSandboxStatus per pod.
        sandboxAddresses: (sandboxId, ips) => this.details?.learnSandbox(sandboxId, { ips }),
      },
      isCurrent: (pod) => this.desiredUIDs.get(podKey(pod)) === pod.uid,
    });
  }

  /** Starts the timer and runs the first pass at once. */
  start(): void {
    this.tickTimer = setInterval(() => this.requestPass(), this.intervalMs);
    this.requestPass();
  }

  /** Asks for a pass; passes never overlap, and requests made during one are served by one more. */
  requestPass(): void {
    if (this.stopped) {
      return;
    }
    if (this.passInFlight !== undefined) {
      this.passRequested = true;
      return;
    }
    this.passInFlight = this.trackedPass()
      .catch((error: unknown) => {
        this.log.error("reconcile pass failed", { err: error });
        return { dispatched: [], deferred: [], runtimeReachable: false };
      })
      .finally(() => {
        this.passInFlight = undefined;
        this.onPass?.();
        if (this.passRequested) {
          this.passRequested = false;
          this.requestPass();
        }
      });
  }

  /** Runs one pass now (after any pass in flight) and waits for the workers it started. */
  async passAndWait(): Promise<PassResult> {
    await this.passInFlight;
    const result = await this.trackedPass();
    await this.idle();
    return result;
  }

  /** Resolves when no worker is queued or running. */
  async idle(): Promise<void> {
    while ([...this.workers.values()].some((worker) => worker.kind !== "idle")) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /**
   * Stops timers and new work, then waits up to `timeoutMs` for running workers to finish their
   * current plan. Whatever is left half done is finished or undone by the next start, which plans
   * from what the runtime reports.
   */
  async stop(timeoutMs: number): Promise<boolean> {
    this.stopped = true;
    clearInterval(this.tickTimer);
    clearTimeout(this.wakeTimer);
    this.probes?.stop();
    for (const [key, worker] of this.workers) {
      if (worker.kind === "queued") {
        this.workers.set(key, { kind: "idle", finishedAt: performance.now() });
      }
    }
    const deadline = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
    const finished = Promise.all([this.passInFlight, this.idle()]).then(() => true);
    return Promise.race([finished, deadline]);
  }

  /** Runs one pass and records whether it failed as a whole, for health(). */
  private async trackedPass(): Promise<PassResult> {
    try {
      const result = await this.pass();
      this.lastPassError = undefined;
      return result;
    } catch (error) {
      this.lastPassError = error instanceof Error ? error : new Error(String(error));
      throw error;
    }
  }

  /** Runs one pass: scans the directory, lists the runtime, plans every pod and dispatches the plans. */
  private async pass(): Promise<PassResult> {
    const result: PassResult = { dispatched: [], deferred: [], runtimeReachable: false };
    const passStarted = performance.now();

    const scan = await this.manifests.scan();
    const desired = podsForNode(scan.pods, this.node);
    this.desiredUIDs = new Map(desired.map((pod) => [podKey(pod), pod.uid]));
    this.onDesired?.(desired);
    if (scan.created) {
      this.log.info("created manifests directory", { dir: this.manifests.dir });
    }
    for (const problem of scan.problems) {
      this.logProblem(problem);
    }

    const nowMs = this.now();
    if (this.runtime.kind === "unreachable" && nowMs < this.runtime.retryAtMs) {
      return result;
    }

    const listedAt = performance.now();
    const observed = await this.observe();
    if (observed === undefined) {
      return result;
    }
    result.runtimeReachable = true;
    const learnedDetails = (await this.details?.refresh(observed, { busy: this.running > 0, nowMs })) ?? false;
    // stop() may have come while this pass waited on the runtime. A plan queued now would never run,
    // and stop() would wait its whole timeout for it.
    if (this.stopped) {
      return result;
    }

    // With the same inputs as a pass that found nothing to do, planning would find nothing again
    // and every status would come out the same, so the pass ends here.
    const inputs = passInputs(desired, observed, this.probes?.changes ?? 0);
    if (!learnedDetails && this.settled !== undefined && sameInputs(this.settled, inputs)) {
      this.finishPass(passStarted, listedAt, desired.length, result, true);
      return result;
    }
    this.settled = undefined;

    const plans = computePlan(desired, observed, this.backoff, nowMs, this.probes?.unhealthy());
    const withWork = new Set<string>();
    let settled = true;
    let nextWakeMs = Number.POSITIVE_INFINITY;
    for (const plan of plans) {
      for (const [key, entry] of plan.backoffUpdates) {
        this.backoff.set(key, entry);
        settled = false;
      }
      for (const waiting of plan.waiting) {
        settled = false;
        nextWakeMs = Math.min(nextWakeMs, waiting.retryAtMs);
        this.logWaiting(plan, waiting.name, waiting.reason, waiting.retryAtMs, nowMs);
      }
      if (!hasWork(plan)) {
        continue;
      }
      settled = false;
      withWork.add(plan.key);
      const outcome = this.dispatch(plan, listedAt);
      if (outcome === "dispatched") {
        result.dispatched.push(plan.key);
        this.workedSinceSettled = true;
      } else {
        result.deferred.push(plan.key);
        // A worker busy with this pod version gets its check from the pass after the last worker.
        // Only a newer version (an edit or a deletion) needs a pass as soon as the worker ends,
        // because otherwise every timer pass during a burst adds one pass per running worker.
        if (outcome === "busy" && !this.busyWithVersion(plan)) this.deferred.add(plan.key);
      }
    }

    this.dropOutdatedQueued(withWork);
    this.forgetGone(desired, plans);
    this.scheduleWake(nextWakeMs, nowMs);
    if (this.details !== undefined) {
      this.probes?.sync(runningContainers(desired, observed, this.details));
    }
    this.status?.update({ desired, observed, backoff: this.backoff, nowMs });
    if (settled && this.running === 0 && this.deferred.size === 0 && !this.passRequested) {
      this.settled = inputs;
      if (this.workedSinceSettled) {
        this.workedSinceSettled = false;
        this.onSettled?.();
      }
    }
    this.finishPass(passStarted, listedAt, plans.length, result, false);
    return result;
  }

  private finishPass(passStarted: number, listedAt: number, pods: number, result: PassResult, unchanged: boolean): void {
    this.lastListedAtMs = this.now();
    this.metrics?.observePass(performance.now() - passStarted);
    if (this.log.enabled("debug")) {
      this.log.debug("pass finished", {
        pods,
        unchanged,
        dispatched: result.dispatched.length,
        deferred: result.deferred.length,
        durationMs: performance.now() - listedAt,
      });
    }
  }

  /** Lists sandboxes and containers tinylet owns; returns undefined when the runtime cannot be reached. */
  private async observe(): Promise<ObservedState | undefined> {
    try {
      const [sandboxes, containers] = await Promise.all([
        this.cri.listPodSandbox(OWNED_SELECTOR),
        this.cri.listContainers(OWNED_SELECTOR),
      ]);

      const exitedWithoutStatus = containers.filter((c) => c.state === ContainerState.CONTAINER_EXITED && !this.exits.has(c.id));
      const statuses = await Promise.all(
        exitedWithoutStatus.map((c) => this.cri.containerStatus(c.id).catch(() => undefined)),
      );
      statuses.forEach((status, index) => {
        const container = exitedWithoutStatus[index];
        if (status !== undefined && container !== undefined) {
          const exit = observeContainer(container, status).exit;
          if (exit !== undefined) {
            this.exits.set(container.id, exit);
          }
        }
      });

      const live = new Set(containers.map((c) => c.id));
      for (const id of this.exits.keys()) {
        if (!live.has(id)) {
          this.exits.delete(id);
        }
      }

      this.setRuntime({ kind: "connected" });
      return {
        sandboxes: sandboxes.map(observeSandbox),
        containers: containers.map((c) => {
          const observed = observeContainer(c);
          const exit = this.exits.get(c.id);
          return exit === undefined ? observed : { ...observed, exit };
        }),
      };
    } catch (error) {
      this.settled = undefined;
      this.runtimeFailed(error instanceof CriError ? error : CriError.from("List", this.cri.socketPath, error));
      return undefined;
    }
  }

  /** Marks the runtime unreachable and schedules the next try, doubling the previous delay up to the cap. */
  private runtimeFailed(error: CriError): void {
    const previousDelay = this.runtime.kind === "unreachable" ? this.runtime.retryDelayMs : 0;
    const retryDelayMs = Math.min(Math.max(previousDelay * 2, RUNTIME_RETRY_INITIAL_MS), RUNTIME_RETRY_MAX_MS);
    this.setRuntime({ kind: "unreachable", error, retryAtMs: this.now() + retryDelayMs, retryDelayMs });
    this.scheduleWake(this.now() + retryDelayMs, this.now());
  }

  /** Changes the runtime state, logging each transition once; nothing else assigns it. */
  private setRuntime(next: RuntimeState): void {
    const previous = this.runtime;
    this.runtime = next;
    if (previous.kind === next.kind) {
      if (next.kind === "unreachable") {
        this.log.debug("runtime still unreachable", { socket: this.cri.socketPath, retryInMs: next.retryDelayMs, err: next.error });
      }
      return;
    }
    if (next.kind === "unreachable") {
      this.log.error("runtime unreachable", { socket: this.cri.socketPath, retryInMs: next.retryDelayMs, err: next.error });
    } else if (next.kind === "connected") {
      this.log.info("runtime connected", { socket: this.cri.socketPath, previous: previous.kind });
    }
  }

  /**
   * Hands a plan to its pod's worker. Returns "busy" when the worker runs an older plan, and
   * "stale" when it finished after this pass listed the runtime, so the plan may not see its work
   * and another pass is requested.
   */
  private dispatch(plan: PodPlan, listedAt: number): "dispatched" | "busy" | "stale" {
    const worker = this.workers.get(plan.key) ?? { kind: "idle", finishedAt: 0 };
    if (worker.kind === "running") {
      return "busy";
    }
    if (worker.kind === "idle" && worker.finishedAt >= listedAt) {
      this.passRequested = true;
      return "stale";
    }
    // A queued plan has not run yet, so the newer plan from a fresher list replaces it.
    const wasQueued = worker.kind === "queued";
    this.workers.set(plan.key, { kind: "queued", plan });
    if (!wasQueued) {
      this.runQueued();
    }
    return "dispatched";
  }

  /**
   * Drops the queued plans of pods that this pass found no work for. Their manifest was deleted or
   * put back before a worker was free for them, and this pass lists the runtime later than theirs.
   * NOTE: a running plan is not interrupted. It only checks, before its start step, that its version is still current.
   */
  private dropOutdatedQueued(withWork: ReadonlySet<string>): void {
    for (const [key, worker] of this.workers) {
      if (worker.kind === "queued" && !withWork.has(key)) {
        this.workers.set(key, { kind: "idle", finishedAt: 0 });
        this.log.debug("dropped a queued plan with nothing left to do", { pod: key });
      }
    }
  }

  /** Reports whether the pod's worker is running a plan for the same pod version (UID, or deletion) as `plan`. */
  private busyWithVersion(plan: PodPlan): boolean {
    const worker = this.workers.get(plan.key);
    return worker?.kind === "running" && worker.plan.pod?.uid === plan.pod?.uid;
  }

  /**
   * Starts queued workers. The teardown of a pod whose manifest is gone starts at once, because
   * kubelet kills every deleted pod at the same time and one pod's grace period must not hold up
   * another's. Any other plan starts while fewer than maxParallel of those run.
   */
  private runQueued(): void {
    if (this.stopped) {
      return;
    }
    for (const [key, worker] of this.workers) {
      if (worker.kind !== "queued") {
        continue;
      }
      const bounded = worker.plan.pod !== undefined;
      if (bounded && this.runningBounded >= this.maxParallel) {
        continue;
      }
      this.running++;
      if (bounded) this.runningBounded++;
      this.workers.set(key, { kind: "running", plan: worker.plan });
      void this.runWorker(key, worker.plan, bounded);
    }
  }

  private async runWorker(key: string, plan: PodPlan, bounded: boolean): Promise<void> {
    const log = this.log.with({ pod: key });
    if (log.enabled("debug")) {
      log.debug("executing plan", { plan: describePlan(plan) });
    }
    try {
      await this.executor.execute(plan, log);
    } catch (error) {
      log.error("pod worker failed", { err: error });
    } finally {
      this.running--;
      if (bounded) this.runningBounded--;
      this.workers.set(key, { kind: "idle", finishedAt: performance.now() });
      this.runQueued();
      // One pass after the last worker checks the work of all; a pod whose plan waited on this
      // worker gets its pass at once. A pass per finished worker would cost 29 passes for 30 pods.
      if (this.running === 0 || this.deferred.delete(key)) {
        this.requestPass();
      }
    }
  }

  /**
   * Reports whether the controller works: the latest pass listed the runtime, and no longer ago
   * than three intervals (at least 10 s), so a stuck loop shows too.
   */
  health(): ControllerHealth {
    if (this.runtime.kind === "unreachable") {
      return { ok: false, reason: `runtime unreachable: ${this.runtime.error.message}` };
    }
    if (this.lastPassError !== undefined) {
      return { ok: false, reason: `reconcile pass failed: ${this.lastPassError.message}` };
    }
    if (this.lastListedAtMs === undefined) {
      return { ok: false, reason: "starting: no pass has listed the runtime yet" };
    }
    const ageMs = this.now() - this.lastListedAtMs;
    const limitMs = Math.max(3 * this.intervalMs, 10_000);
    if (ageMs > limitMs) {
      return { ok: false, reason: `reconcile loop stalled: the last pass finished ${Math.round(ageMs / 1000)}s ago` };
    }
    return { ok: true };
  }

  private logProblem(problem: ManifestProblem): void {
    if (problem.severity === "error") {
      this.metrics?.countRejected();
      this.log.error("rejected manifest", { file: problem.file, err: problem.message });
    } else {
      this.log.warn("manifest warning", { file: problem.file, warning: problem.message });
    }
  }

  private logWaiting(plan: PodPlan, container: string, reason: string, retryAtMs: number, nowMs: number): void {
    const key = `${plan.key}/${container}`;
    if (this.waitingLogged.get(key) === retryAtMs) {
      return;
    }
    this.waitingLogged.set(key, retryAtMs);
    if (plan.pod !== undefined) {
      const image = [...plan.pod.initContainers, ...plan.pod.containers].find((c) => c.name === container)?.image ?? "";
      const message =
        reason === "ImagePullBackOff"
          ? `Back-off pulling image "${image}"`
          : `Back-off restarting failed container ${container} in pod ${plan.key}`;
      this.events?.record(plan.pod, { type: "Warning", reason: "BackOff", message, container });
    }
    this.log.info("back-off before restarting container", {
      pod: plan.key,
      container,
      reason,
      retryInMs: Math.max(0, retryAtMs - nowMs),
    });
  }

  /** Drops back-off entries and workers of pods that are neither desired nor on the runtime. */
  private forgetGone(desired: readonly Pod[], plans: readonly PodPlan[]): void {
    const uids = new Set(desired.map((pod) => pod.uid));
    for (const key of this.backoff.keys()) {
      if (!uids.has(key.slice(0, key.indexOf("/")))) {
        this.backoff.delete(key);
      }
    }
    const keys = new Set([...desired.map(podKey), ...plans.map((plan) => plan.key)]);
    for (const [key, worker] of this.workers) {
      if (worker.kind === "idle" && !keys.has(key)) {
        this.workers.delete(key);
      }
    }
    for (const key of this.deferred) {
      if (!keys.has(key)) this.deferred.delete(key);
    }
    for (const key of this.waitingLogged.keys()) {
      if (!keys.has(key.slice(0, key.lastIndexOf("/")))) {
        this.waitingLogged.delete(key);
      }
    }
  }

  /** Arranges a pass at `atMs` (epoch milliseconds) when that is sooner than the next tick. */
  private scheduleWake(atMs: number, nowMs: number): void {
    if (!Number.isFinite(atMs) || this.stopped) {
      return;
    }
    const delay = Math.max(0, atMs - nowMs);
    if (delay >= this.intervalMs) {
      return;
    }
    clearTimeout(this.wakeTimer);
    this.wakeTimer = setTimeout(() => this.requestPass(), delay + 5);
  }
}

/**
 * Inputs of a pass reduced to what can change: desired pod versions, sandbox and container IDs
 * with their states, and the probe change count. IDs are never reused and exits never change.
 * Back-off entries and start failures change only through plans with work, and a settled pass has none.
 */
interface PassInputs {
  desired: string;
  observed: Set<string>;
  probeChanges: number;
}

function passInputs(desired: readonly Pod[], observed: ObservedState, probeChanges: number): PassInputs {
  const items = new Set<string>();
  for (const sandbox of observed.sandboxes) {
    items.add(`${sandbox.id}:${sandbox.ready ? "ready" : "notready"}`);
  }
  for (const container of observed.containers) {
    items.add(`${container.id}:${container.state}:${container.exit === undefined ? "" : "exit"}`);
  }
  return { desired: desired.map((pod) => pod.uid).join(","), observed: items, probeChanges };
}

function sameInputs(a: PassInputs, b: PassInputs): boolean {
  if (a.probeChanges !== b.probeChanges || a.desired !== b.desired || a.observed.size !== b.observed.size) {
    return false;
  }
  for (const item of b.observed) {
    if (!a.observed.has(item)) return false;
  }
  return true;
}

/** Renders a plan's steps as one short string for debug logs. */
export function describePlan(plan: PodPlan): string {
  const steps: string[] = [];
  for (const kill of plan.killSandboxes) {
    steps.push(`kill-sandbox(${kill.sandboxId.slice(0, 13)},${kill.reason})`);
  }
  for (const remove of plan.removeContainers) {
    steps.push(`remove-container(${remove.name},${remove.reason})`);
  }
  for (const kill of plan.killContainers) {
    steps.push(`kill-container(${kill.name},${kill.reason})`);
  }
  if (plan.createSandbox !== undefined) {
    steps.push(`create-sandbox(attempt=${plan.createSandbox.attempt})`);
  }
  for (const start of plan.startContainers) {
    steps.push(`start-container(${start.name},attempt=${start.attempt},${start.reason})`);
  }
  for (const waiting of plan.waiting) {
    steps.push(`wait(${waiting.name},${waiting.reason})`);
  }
  return steps.join(" ");
}
