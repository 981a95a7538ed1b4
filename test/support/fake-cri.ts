/**
 * An in-process fake of a CRI runtime for unit tests: a grpc-js server on a fresh Unix socket that
 * serves every RuntimeService and ImageService method of runtime.proto from an in-memory model of
 * sandboxes, containers and images. It models what tinylet relies on:
 *
 * - a sandbox or container name stays reserved until removal, and a second one fails with
 *   containerd's "is reserved for" error, because tinylet matches on that text;
 * - RemovePodSandbox and RemoveContainer stop what still runs and succeed for an ID that is already
 *   gone (the CRI requires RemovePodSandbox to be idempotent); other calls fail with NOT_FOUND;
 * - a stopped container exits with 137, the code of a process killed by SIGKILL.
 *
 * Test controls record, fail and delay calls and simulate crashes.
 */
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import {
  create,
  fromBinary,
  isMessage,
  toBinary,
  type DescMessage,
  type DescMethod,
  type Message,
  type MessageInitShape,
  type MessageShape,
} from "@bufbuild/protobuf";
import { Server, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall } from "@grpc/grpc-js";

import * as pb from "../../src/cri/gen/runtime_pb.js";

/** Options of startFakeCri. */
export interface FakeCriOptions {
  /** Clock in milliseconds since the epoch for createdAt, startedAt and finishedAt. Default `Date.now`. */
  now?: () => number;
  /** Images present from the start, as if preloaded. Default none. */
  images?: string[];
  /** Images whose pull fails with NOT_FOUND. Default none. */
  failingImages?: string[];
  /** Exit code of a container stopped by StopContainer, StopPodSandbox or a forced removal. Default 137. */
  stopExitCode?: number;
  /** Result of every ExecSync. Default exit code 0 and empty output. */
  execResult?: FakeExecResult;
}

/** What ExecSync returns. */
export interface FakeExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** One call the server received, in arrival order; failed and delayed calls are included. */
export interface FakeCall {
  /** CRI method name, such as `RunPodSandbox`. */
  method: string;
  /** The decoded request. */
  request: Message;
  /** Calls of the same method in progress (received, no response sent) when this one arrived, this one included. */
  concurrent: number;
  /** Methods of the other calls in progress when this one arrived. */
  during: string[];
}

/** A sandbox as the fake stores it. */
export interface FakeSandbox {
  id: string;
  metadata: { name: string; uid: string; namespace: string; attempt: number };
  state: pb.PodSandboxState;
  /** Nanoseconds since the epoch. */
  createdAt: bigint;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  logDirectory: string;
  runtimeHandler: string;
}

/** A container as the fake stores it. */
export interface FakeContainer {
  id: string;
  sandboxId: string;
  metadata: { name: string; attempt: number };
  image: string;
  state: pb.ContainerState;
  /** Nanoseconds since the epoch; startedAt and finishedAt are 0 until the event happens. */
  createdAt: bigint;
  startedAt: bigint;
  finishedAt: bigint;
  exitCode: number;
  reason: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** The sandbox's log directory joined with the container config's log path. */
  logPath: string;
}

/** What addForeignSandbox creates. */
export interface ForeignSandboxOptions {
  name: string;
  namespace: string;
  /** Default: a fixed UID that no tinylet pod has. */
  uid?: string;
  /** Default: kubelet's pod name, namespace and UID labels, so the missing tinylet label is the only difference. */
  labels?: Record<string, string>;
  /** Names of running containers to create in the sandbox. Default none. */
  containers?: string[];
}

/** Details of containerd's error for a second container or sandbox with a name already in use. */
function reservedDetails(kind: "container" | "sandbox", name: string, ownerId: string): string {
  return `failed to reserve ${kind} name "${name}": name "${name}" is reserved for "${ownerId}"`;
}

/** A gRPC status that a handler throws to fail the call. */
class FakeStatus extends Error {
  constructor(
    readonly code: status,
    readonly details: string,
  ) {
    super(details);
  }
}

/** Starts a fake CRI server on a new socket in a new temporary directory. */
export async function startFakeCri(options: FakeCriOptions = {}): Promise<FakeCri> {
  const dir = await mkdtemp(path.join(tmpdir(), "tinylet-fake-cri-"));
  const fake = new FakeCri(dir, options);
  try {
    await fake.listen();
  } catch (error) {
    await fake.close();
    throw error;
  }
  return fake;
}

/** The fake runtime and its test controls; create it with startFakeCri. */
export class FakeCri {
  /** Path of the Unix socket the server listens on. */
  readonly socketPath: string;
  /** Every call received, in arrival order. */
  readonly calls: FakeCall[] = [];
  /** Images whose pull fails; tests may add and delete entries at any time. */
  readonly failingImages: Set<string>;
  /** What ExecSync returns; tests may replace it at any time. */
  execResult: FakeExecResult;

  private readonly server = new Server();
  private readonly now: () => number;
  private readonly stopExitCode: number;
  private readonly sandboxMap = new Map<string, FakeSandbox>();
  private readonly containerMap = new Map<string, FakeContainer>();
  private readonly images = new Set<string>();
  /** Reserved names of sandboxes and containers, mapped to the ID of the one that reserved each. */
  private readonly names = new Map<string, string>();
  private readonly failures = new Map<string, Array<{ code: status; details: string }>>();
  private readonly delays = new Map<string, number>();
  /** Calls received with no response sent yet, by method. */
  private readonly unanswered = new Map<string, number>();
  private readonly duplicates = new Set<string>();
  private readonly pendingDelays = new Set<NodeJS.Timeout>();
  private readonly methodNames = new Set<string>();
  private nextId = 0;
  private closed = false;

  constructor(
    /** Temporary directory containing the socket; close() removes it. */
    readonly dir: string,
    options: FakeCriOptions,
  ) {
    this.socketPath = path.join(dir, "cri.sock");
    this.now = options.now ?? Date.now;
    this.stopExitCode = options.stopExitCode ?? 137;
    this.failingImages = new Set(options.failingImages ?? []);
    this.execResult = options.execResult ?? { stdout: "", stderr: "", exitCode: 0 };
    for (const image of options.images ?? []) {
      this.images.add(image);
    }
    this.registerHandlers();
  }

  /** Binds the server to the socket. */
  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.bindAsync(`unix:${this.socketPath}`, ServerCredentials.createInsecure(), (error) =>
        error === null ? resolve() : reject(error),
      );
    });
  }

  /** Stops the server at once, cancelling calls in progress, and removes the temporary directory. */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    for (const timer of this.pendingDelays) {
      clearTimeout(timer);
    }
    this.pendingDelays.clear();
    this.server.forceShutdown();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Returns the requests of every recorded call whose request has `schema`'s type. */
  requests<Desc extends DescMessage>(schema: Desc): MessageShape<Desc>[] {
    return this.calls.map((call) => call.request).filter((request): request is MessageShape<Desc> => isMessage(request, schema));
  }

  /** Empties `calls`, so a test can look only at what a later step sends. */
  clearCalls(): void {
    this.calls.length = 0;
  }

  /** Fails the next call of `method` with `code` and `details` without handling it. Failures queue up, one per call. */
  failNext(method: string, code: status, details: string): void {
    this.checkMethod(method);
    const queue = this.failures.get(method) ?? [];
    queue.push({ code, details });
    this.failures.set(method, queue);
  }

  /**
   * Holds every later call of `method` for `ms` milliseconds before handling it; 0 removes the delay.
   * The call still takes effect after the delay even when the client gave up, as on a slow runtime.
   */
  delay(method: string, ms: number): void {
    this.checkMethod(method);
    if (ms > 0) {
      this.delays.set(method, ms);
    } else {
      this.delays.delete(method);
    }
  }

  /**
   * Handles the next call of `method` twice and returns the second outcome. A client sees this when
   * an earlier identical call, whose response it never received, completes on the runtime just
   * before its retry arrives. CreateContainer then fails with "is reserved for".
   */
  duplicateNext(method: string): void {
    this.checkMethod(method);
    this.duplicates.add(method);
  }

  /** Makes a running container exit with `exitCode` now, as a crash or a normal end would. */
  exitContainer(id: string, exitCode: number): void {
    const container = this.containerMap.get(id);
    if (container === undefined || container.state !== pb.ContainerState.CONTAINER_RUNNING) {
      throw new Error(`exitContainer: container ${id} is not running`);
    }
    this.finish(container, exitCode);
  }

  /** Adds a ready sandbox without the tinylet label, as another kubelet or crictl would leave. Returns its ID. */
  addForeignSandbox(options: ForeignSandboxOptions): string {
    const uid = options.uid ?? "foreign-0000-0000-0000-000000000000";
    const labels = options.labels ?? {
      "io.kubernetes.pod.name": options.name,
      "io.kubernetes.pod.namespace": options.namespace,
      "io.kubernetes.pod.uid": uid,
    };
    const sandboxId = this.runSandbox(
      create(pb.PodSandboxConfigSchema, {
        metadata: { name: options.name, namespace: options.namespace, uid, attempt: 0 },
        labels,
        logDirectory: path.join("/var/log/pods", `${options.namespace}_${options.name}_${uid}`),
      }),
      "",
    );

    for (const name of options.containers ?? []) {
      const containerId = this.createContainer(
        sandboxId,
        create(pb.ContainerConfigSchema, {
          metadata: { name, attempt: 0 },
          image: { image: "registry.example/foreign:1" },
          labels: { ...labels, "io.kubernetes.container.name": name },
          logPath: `${name}/0.log`,
        }),
      );
      this.startContainer(containerId);
    }
    return sandboxId;
  }

  /** Makes an image present, as if it had been pulled earlier. */
  preloadImage(name: string): void {
    this.images.add(name);
  }

  /** Returns copies of every sandbox, in creation order. */
  sandboxes(): FakeSandbox[] {
    return [...this.sandboxMap.values()].map((sandbox) => structuredClone(sandbox));
  }

  /** Returns copies of every container, in creation order. */
  containers(): FakeContainer[] {
    return [...this.containerMap.values()].map((container) => structuredClone(container));
  }

  /** Reports whether an image is present. */
  hasImage(name: string): boolean {
    return this.images.has(name);
  }

  private registerHandlers(): void {
    const runtime = pb.RuntimeService.method;
    const image = pb.ImageService.method;

    this.handle(runtime.version, () => ({
      version: "0.1.0",
      runtimeName: "fake-cri",
      runtimeVersion: "0.0.0-test",
      runtimeApiVersion: "v1",
    }));

    this.handle(runtime.runPodSandbox, (request) => ({
      podSandboxId: this.runSandbox(request.config ?? create(pb.PodSandboxConfigSchema), request.runtimeHandler),
    }));

    this.handle(runtime.stopPodSandbox, (request) => {
      const sandbox = this.getSandbox(request.podSandboxId);
      for (const container of this.containerMap.values()) {
        if (container.sandboxId === sandbox.id && container.state === pb.ContainerState.CONTAINER_RUNNING) {
          this.finish(container, this.stopExitCode);
        }
      }
      sandbox.state = pb.PodSandboxState.SANDBOX_NOTREADY;
      return {};
    });

    this.handle(runtime.removePodSandbox, (request) => {
      const sandbox = this.sandboxMap.get(request.podSandboxId);
      if (sandbox === undefined) {
        return {};
      }
      for (const container of [...this.containerMap.values()]) {
        if (container.sandboxId === sandbox.id) {
          this.removeContainer(container);
        }
      }
      this.sandboxMap.delete(sandbox.id);
      this.names.delete(sandboxName(sandbox.metadata));
      return {};
    });

    this.handle(runtime.podSandboxStatus, (request) => {
      const sandbox = this.getSandbox(request.podSandboxId);
      return { status: { ...sandboxView(sandbox), network: { ip: "10.88.0.2" } } };
    });

    this.handle(runtime.listPodSandbox, (request) => {
      const filter = request.filter;
      const items = [...this.sandboxMap.values()].filter(
        (sandbox) =>
          (filter === undefined || filter.id === "" || sandbox.id === filter.id) &&
          (filter?.state === undefined || sandbox.state === filter.state.state) &&
          matchesSelector(sandbox.labels, filter?.labelSelector ?? {}),
      );
      return { items: items.map(sandboxView) };
    });

    this.handle(runtime.createContainer, (request) => ({
      containerId: this.createContainer(request.podSandboxId, request.config ?? create(pb.ContainerConfigSchema)),
    }));

    this.handle(runtime.startContainer, (request) => {
      this.startContainer(request.containerId);
      return {};
    });

    this.handle(runtime.stopContainer, (request) => {
      const container = this.getContainer(request.containerId);
      if (container.state === pb.ContainerState.CONTAINER_RUNNING) {
        this.finish(container, this.stopExitCode);
      }
      return {};
    });

    this.handle(runtime.removeContainer, (request) => {
      const container = this.containerMap.get(request.containerId);
      if (container !== undefined) {
        this.removeContainer(container);
      }
      return {};
    });

    this.handle(runtime.listContainers, (request) => {
      const filter = request.filter;
      const containers = [...this.containerMap.values()].filter(
        (container) =>
          (filter === undefined || filter.id === "" || container.id === filter.id) &&
          (filter === undefined || filter.podSandboxId === "" || container.sandboxId === filter.podSandboxId) &&
          (filter?.state === undefined || container.state === filter.state.state) &&
          matchesSelector(container.labels, filter?.labelSelector ?? {}),
      );
      return { containers: containers.map(containerView) };
    });

    this.handle(runtime.containerStatus, (request) => {
      const container = this.getContainer(request.containerId);
      return {
        status: {
          ...containerView(container),
          startedAt: container.startedAt,
          finishedAt: container.finishedAt,
          exitCode: container.exitCode,
          reason: container.reason,
          logPath: container.logPath,
        },
      };
    });

    this.handle(runtime.execSync, (request) => {
      const container = this.getContainer(request.containerId);
      if (container.state !== pb.ContainerState.CONTAINER_RUNNING) {
        throw new FakeStatus(status.FAILED_PRECONDITION, `container ${container.id} is not running`);
      }
      return {
        stdout: Buffer.from(this.execResult.stdout),
        stderr: Buffer.from(this.execResult.stderr),
        exitCode: this.execResult.exitCode,
      };
    });

    this.handle(image.imageStatus, (request) => {
      const name = request.image?.image ?? "";
      return this.images.has(name) ? { image: imageView(name) } : {};
    });

    this.handle(image.pullImage, (request) => {
      const name = request.image?.image ?? "";
      if (this.failingImages.has(name)) {
        throw new FakeStatus(status.NOT_FOUND, `failed to pull image "${name}": not found in the fake registry`);
      }
      this.images.add(name);
      return { imageRef: imageId(name) };
    });

    // A method added to runtime.proto without a handler here would fail with UNIMPLEMENTED in tests.
    for (const method of [...pb.RuntimeService.methods, ...pb.ImageService.methods]) {
      if (!this.methodNames.has(method.name)) {
        throw new Error(`fake CRI has no handler for ${method.parent.typeName}/${method.name}`);
      }
    }
  }

  /** Registers one unary method: records the call, applies the test controls, then runs `handler`. */
  private handle<I extends DescMessage, O extends DescMessage>(
    method: DescMethod & { input: I; output: O },
    handler: (request: MessageShape<I>) => MessageInitShape<O>,
  ): void {
    this.methodNames.add(method.name);

    const respond = (request: MessageShape<I>, callback: sendUnaryData<MessageShape<O>>): void => {
      try {
        if (this.duplicates.delete(method.name)) {
          try {
            handler(request);
          } catch {
            // The earlier call's outcome was never delivered, whatever it was.
          }
        }
        callback(null, create(method.output, handler(request)));
      } catch (error) {
        if (error instanceof FakeStatus) {
          callback({ code: error.code, details: error.details });
        } else {
          callback({ code: status.INTERNAL, details: `fake CRI bug: ${String(error)}` });
        }
      }
    };

    this.server.register(
      `/${method.parent.typeName}/${method.name}`,
      (call: ServerUnaryCall<MessageShape<I>, MessageShape<O>>, callback: sendUnaryData<MessageShape<O>>) => {
        const during = [...this.unanswered].filter(([, count]) => count > 0).map(([name]) => name);
        const concurrent = (this.unanswered.get(method.name) ?? 0) + 1;
        this.unanswered.set(method.name, concurrent);
        this.calls.push({ method: method.name, request: call.request, concurrent, during });
        const answer: sendUnaryData<MessageShape<O>> = (error, value) => {
          this.unanswered.set(method.name, (this.unanswered.get(method.name) ?? 1) - 1);
          callback(error, value);
        };

        const failure = this.failures.get(method.name)?.shift();
        if (failure !== undefined) {
          answer({ code: failure.code, details: failure.details });
          return;
        }

        const delayMs = this.delays.get(method.name);
        if (delayMs === undefined) {
          respond(call.request, answer);
          return;
        }
        const timer = setTimeout(() => {
          this.pendingDelays.delete(timer);
          respond(call.request, answer);
        }, delayMs);
        this.pendingDelays.add(timer);
      },
      (response: MessageShape<O>) => Buffer.from(toBinary(method.output, response)),
      (bytes: Buffer) => fromBinary(method.input, bytes),
      "unary",
    );
  }

  private runSandbox(config: pb.PodSandboxConfig, runtimeHandler: string): string {
    const metadata = {
      name: config.metadata?.name ?? "",
      uid: config.metadata?.uid ?? "",
      namespace: config.metadata?.namespace ?? "",
      attempt: config.metadata?.attempt ?? 0,
    };
    const id = this.newId("sandbox");
    this.reserve("sandbox", sandboxName(metadata), id);
    this.sandboxMap.set(id, {
      id,
      metadata,
      state: pb.PodSandboxState.SANDBOX_READY,
      createdAt: this.nowNs(),
      labels: { ...config.labels },
      annotations: { ...config.annotations },
      logDirectory: config.logDirectory,
      runtimeHandler,
    });
    return id;
  }

  private createContainer(sandboxId: string, config: pb.ContainerConfig): string {
    const sandbox = this.getSandbox(sandboxId);
    if (sandbox.state !== pb.PodSandboxState.SANDBOX_READY) {
      throw new FakeStatus(status.FAILED_PRECONDITION, `sandbox ${sandboxId} is not ready`);
    }
    const metadata = { name: config.metadata?.name ?? "", attempt: config.metadata?.attempt ?? 0 };
    // NOTE: the name comes from the stored sandbox, so a CreateContainer whose sandbox_config differs from the RunPodSandbox config goes unnoticed.
    const name = [metadata.name, sandbox.metadata.name, sandbox.metadata.namespace, sandbox.metadata.uid, metadata.attempt].join("_");
    const id = this.newId("container");
    this.reserve("container", name, id);

    this.containerMap.set(id, {
      id,
      sandboxId,
      metadata,
      image: config.image?.image ?? "",
      state: pb.ContainerState.CONTAINER_CREATED,
      createdAt: this.nowNs(),
      startedAt: 0n,
      finishedAt: 0n,
      exitCode: 0,
      reason: "",
      labels: { ...config.labels },
      annotations: { ...config.annotations },
      logPath: config.logPath === "" ? "" : path.join(sandbox.logDirectory, config.logPath),
    });
    return id;
  }

  private startContainer(id: string): void {
    const container = this.getContainer(id);
    if (container.state !== pb.ContainerState.CONTAINER_CREATED) {
      throw new FakeStatus(status.FAILED_PRECONDITION, `container ${id} is in ${pb.ContainerState[container.state]} state`);
    }
    if (this.sandboxMap.get(container.sandboxId)?.state !== pb.PodSandboxState.SANDBOX_READY) {
      throw new FakeStatus(status.FAILED_PRECONDITION, `sandbox ${container.sandboxId} of container ${id} is not ready`);
    }
    container.state = pb.ContainerState.CONTAINER_RUNNING;
    container.startedAt = this.nowNs();
  }

  /** Removes a container, stopping it first when it runs, as containerd does. */
  private removeContainer(container: FakeContainer): void {
    if (container.state === pb.ContainerState.CONTAINER_RUNNING) {
      this.finish(container, this.stopExitCode);
    }
    this.containerMap.delete(container.id);
    for (const [name, id] of this.names) {
      if (id === container.id) {
        this.names.delete(name);
      }
    }
  }

  private finish(container: FakeContainer, exitCode: number): void {
    container.state = pb.ContainerState.CONTAINER_EXITED;
    container.finishedAt = this.nowNs();
    container.exitCode = exitCode;
    container.reason = exitCode === 0 ? "Completed" : "Error";
  }

  private reserve(kind: "container" | "sandbox", name: string, id: string): void {
    const owner = this.names.get(name);
    if (owner !== undefined) {
      throw new FakeStatus(status.UNKNOWN, reservedDetails(kind, name, owner));
    }
    this.names.set(name, id);
  }

  private getSandbox(id: string): FakeSandbox {
    const sandbox = this.sandboxMap.get(id);
    if (sandbox === undefined) {
      throw new FakeStatus(status.NOT_FOUND, `sandbox ${id} not found`);
    }
    return sandbox;
  }

  private getContainer(id: string): FakeContainer {
    const container = this.containerMap.get(id);
    if (container === undefined) {
      throw new FakeStatus(status.NOT_FOUND, `container ${id} not found`);
    }
    return container;
  }

  private checkMethod(method: string): void {
    if (!this.methodNames.has(method)) {
      throw new Error(`fake CRI has no method ${method}; expected one of ${[...this.methodNames].join(", ")}`);
    }
  }

  /** Returns a 64-hex-digit ID like containerd's, derived from a counter so runs are repeatable. */
  private newId(kind: string): string {
    this.nextId++;
    return createHash("sha256").update(`${kind}-${this.nextId}`).digest("hex");
  }

  private nowNs(): bigint {
    return BigInt(Math.trunc(this.now())) * 1_000_000n;
  }
}

function sandboxName(metadata: FakeSandbox["metadata"]): string {
  return [metadata.name, metadata.namespace, metadata.uid, metadata.attempt].join("_");
}

function matchesSelector(labels: Record<string, string>, selector: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/** Returns the fields that PodSandbox and PodSandboxStatus share. */
function sandboxView(sandbox: FakeSandbox) {
  return {
    id: sandbox.id,
    metadata: sandbox.metadata,
    state: sandbox.state,
    createdAt: sandbox.createdAt,
    labels: sandbox.labels,
    annotations: sandbox.annotations,
    runtimeHandler: sandbox.runtimeHandler,
  };
}

/** Returns the fields of a listed Container; ContainerStatus shares all but podSandboxId. */
function containerView(container: FakeContainer) {
  return {
    id: container.id,
    podSandboxId: container.sandboxId,
    metadata: container.metadata,
    image: { image: container.image, userSpecifiedImage: container.image },
    imageRef: imageId(container.image),
    imageId: imageId(container.image),
    state: container.state,
    createdAt: container.createdAt,
    labels: container.labels,
    annotations: container.annotations,
  };
}

function imageId(name: string): string {
  return "sha256:" + createHash("sha256").update(name).digest("hex");
}

function imageView(name: string): MessageInitShape<typeof pb.ImageSchema> {
  return { id: imageId(name), repoTags: [name], size: 1_048_576n, spec: { image: name } };
}

/** Resource names of Node.js handles that are sockets; see process.getActiveResourcesInfo. */
const SOCKET_RESOURCES = new Set(["PipeWrap", "PipeServerWrap", "TCPWrap", "TCPServerWrap"]);

/** Returns the number of socket handles keeping the process alive, such as a server or client connection. */
export function socketHandleCount(): number {
  return process.getActiveResourcesInfo().filter((name) => SOCKET_RESOURCES.has(name)).length;
}

/**
 * Waits up to `timeoutMs` for the socket handle count to fall back to `baseline`, and throws when it
 * does not: a fake or a client left open would keep the test process from exiting.
 */
export async function expectSocketsClosed(baseline: number, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (socketHandleCount() > baseline) {
    if (Date.now() >= deadline) {
      throw new Error(
        `${socketHandleCount() - baseline} socket handle(s) still open ${timeoutMs} ms after the tests: ` +
          "close every CriClient and FakeCri a test opens",
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
