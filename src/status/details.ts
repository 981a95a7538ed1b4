/**
 * Runtime details that listing does not return: when a container started, its image reference,
 * and a sandbox's IP addresses. A container's start time and a sandbox's addresses never change,
 * so each is asked for once (ContainerStatus, PodSandboxStatus) and kept until the object is gone.
 */
import type { CriClient } from "../cri/index.js";
import { nanosToMs, type ObservedContainer, type ObservedState } from "../reconcile/observed.js";

/** Details of a container instance that ContainerStatus returns. */
export interface ContainerDetails {
  /** Milliseconds since the epoch; 0 when it never started. */
  startedAtMs: number;
  /** The image the runtime resolved, such as `localhost:5000/busybox@sha256:...`. */
  imageRef: string;
  /** The runtime's message about the latest state, such as an OOM kill. */
  message: string;
}

/** Details of a sandbox that PodSandboxStatus returns. */
export interface SandboxDetails {
  /** The pod's IP addresses, primary first; empty with hostNetwork. */
  ips: string[];
}

/** Read access to the details, for pure code. */
export interface DetailsView {
  container(id: string): ContainerDetails | undefined;
  sandbox(id: string): SandboxDetails | undefined;
}

/**
 * While pods are starting, a running container's ContainerStatus waits for the starts to end, at
 * most this long after the container was created, in milliseconds. Its status shows the creation
 * time as the start time until then.
 */
export const DETAILS_WAIT_MS = 10_000;

/** The work in progress when `refresh` runs. */
export interface RefreshContext {
  /** Pod workers are running, so calls the starts do not need are put off. */
  busy: boolean;
  /** Milliseconds since the epoch. */
  nowMs: number;
}

/** A cache of details, filled by `refresh` after each listing. */
export class RuntimeDetails implements DetailsView {
  private readonly containers = new Map<string, ContainerDetails>();
  private readonly sandboxes = new Map<string, SandboxDetails>();

  constructor(private readonly cri: CriClient) {}

  /**
   * Asks for the details of started containers and ready sandboxes not seen before, and forgets
   * objects that are gone. A failed call is tried again by the next refresh. While the context is
   * busy, running containers younger than DETAILS_WAIT_MS are left for a later refresh, because
   * each call takes runtime CPU from the starts (docs/performance.md, finding 23). Resolves to
   * whether anything was learned or forgotten.
   */
  async refresh(observed: ObservedState, context: RefreshContext = { busy: false, nowMs: Date.now() }): Promise<boolean> {
    const deferred = (c: ObservedContainer): boolean => context.busy && c.state === "running" && context.nowMs - c.createdAtMs < DETAILS_WAIT_MS;
    const wantedContainers = observed.containers.filter((c) => (c.state === "running" || c.state === "exited") && !this.containers.has(c.id) && !deferred(c));
    const wantedSandboxes = observed.sandboxes.filter((s) => s.ready && !this.sandboxes.has(s.id));
    let learned = false;

    await Promise.all([
      ...wantedContainers.map(async (container) => {
        const status = await this.cri.containerStatus(container.id).catch(() => undefined);
        if (status === undefined) return;
        this.containers.set(container.id, { startedAtMs: nanosToMs(status.startedAt), imageRef: status.imageRef, message: status.message });
        learned = true;
      }),
      ...wantedSandboxes.map(async (sandbox) => {
        const status = await this.cri.podSandboxStatus(sandbox.id).catch(() => undefined);
        if (status === undefined) return;
        const network = status.network;
        const ips = network === undefined || network.ip === "" ? [] : [network.ip, ...network.additionalIps.map((ip) => ip.ip)];
        this.sandboxes.set(sandbox.id, { ips });
        learned = true;
      }),
    ]);

    const liveContainers = new Set(observed.containers.map((c) => c.id));
    for (const id of this.containers.keys()) {
      if (!liveContainers.has(id)) {
        this.containers.delete(id);
        learned = true;
      }
    }
    const liveSandboxes = new Set(observed.sandboxes.map((s) => s.id));
    for (const id of this.sandboxes.keys()) {
      if (!liveSandboxes.has(id)) {
        this.sandboxes.delete(id);
        learned = true;
      }
    }
    return learned;
  }

  /** Keeps a sandbox's details read by someone else, such as the executor before it creates a container. */
  learnSandbox(id: string, details: SandboxDetails): void {
    if (!this.sandboxes.has(id)) this.sandboxes.set(id, details);
  }

  container(id: string): ContainerDetails | undefined {
    return this.containers.get(id);
  }

  sandbox(id: string): SandboxDetails | undefined {
    return this.sandboxes.get(id);
  }
}
