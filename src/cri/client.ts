import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";

import { CriError } from "./errors.js";
import * as pb from "./gen/runtime_pb.js";
import { Code, GrpcError } from "./grpc-status.js";
import { GrpcTransport } from "./grpc-transport.js";
import { ListItemCache } from "./list-cache.js";

/** Options of a CriClient. */
export interface CriClientOptions {
  /** Path of the runtime's CRI Unix socket. */
  socketPath: string;
  /** Deadline of every call but PullImage and ExecSync, in milliseconds. Default 10 000 ms. */
  callTimeoutMs?: number;
  /** Deadline of PullImage, in milliseconds. Default 300 000 ms (5 minutes). */
  pullTimeoutMs?: number;
  /** Receives one event per finished call, for metrics and debug logs. */
  onCall?: (event: CriCallEvent) => void;
  /**
   * Keeps the decoded items of ListPodSandbox and of ListContainers without a sandbox filter, and
   * reuses each item whose encoded bytes come back unchanged, so a daemon that lists every few
   * seconds decodes only what changed. The items returned are then shared between calls and must
   * not be modified. Default false.
   */
  reuseListItems?: boolean;
}

/** One finished CRI call. */
export interface CriCallEvent {
  method: string;
  durationMs: number;
  /** Undefined when the call succeeded. */
  error?: CriError;
}

/** Default deadline of an ordinary call, in milliseconds. */
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;

/** Default deadline of an image pull, in milliseconds. */
export const DEFAULT_PULL_TIMEOUT_MS = 300_000;

/** Largest response accepted, in bytes; lists of many containers exceed gRPC's usual 4 MiB default. */
const MAX_RECEIVE_MESSAGE_BYTES = 64 * 1024 * 1024;

const RUNTIME = "/runtime.v1.RuntimeService/";
const IMAGE = "/runtime.v1.ImageService/";

/**
 * A typed client of the CRI runtime.v1 RuntimeService and ImageService over a Unix socket.
 * Every call has a deadline, and every failure is a CriError naming the method.
 */
export class CriClient {
  readonly socketPath: string;
  private readonly transport: GrpcTransport;
  private readonly callTimeoutMs: number;
  private readonly pullTimeoutMs: number;
  private readonly onCall: ((event: CriCallEvent) => void) | undefined;
  /**
   * Decoded list items, undefined when the option is off. An item's bytes decode to the same value
   * whatever the filter, so one cache per method serves every label selector.
   */
  private readonly sandboxItems: ListItemCache<pb.PodSandbox> | undefined;
  private readonly containerItems: ListItemCache<pb.Container> | undefined;

  constructor(options: CriClientOptions) {
    this.socketPath = options.socketPath;
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.pullTimeoutMs = options.pullTimeoutMs ?? DEFAULT_PULL_TIMEOUT_MS;
    this.onCall = options.onCall;
    const reuse = options.reuseListItems === true;
    this.sandboxItems = reuse ? new ListItemCache((bytes) => fromBinary(pb.PodSandboxSchema, bytes), mapFieldNumbers(pb.PodSandboxSchema)) : undefined;
    this.containerItems = reuse ? new ListItemCache((bytes) => fromBinary(pb.ContainerSchema, bytes), mapFieldNumbers(pb.ContainerSchema)) : undefined;
    // The transport connects on the first call and again on the first call after the runtime went away.
    this.transport = new GrpcTransport({
      target: { socketPath: options.socketPath },
      maxReceiveMessageBytes: MAX_RECEIVE_MESSAGE_BYTES,
    });
  }

  /** Closes the connection; calls in flight may finish, and calls made afterwards fail. */
  close(): void {
    this.transport.close();
  }

  async version(): Promise<pb.VersionResponse> {
    return this.call(RUNTIME, "Version", pb.VersionRequestSchema, pb.VersionResponseSchema, { version: "v1" });
  }

  /** Runs a sandbox and returns its ID. */
  async runPodSandbox(config: MessageInitShape<typeof pb.PodSandboxConfigSchema>, runtimeHandler = ""): Promise<string> {
    const response = await this.call(RUNTIME, "RunPodSandbox", pb.RunPodSandboxRequestSchema, pb.RunPodSandboxResponseSchema, {
      config,
      runtimeHandler,
    });
    return response.podSandboxId;
  }

  async stopPodSandbox(podSandboxId: string): Promise<void> {
    await this.call(RUNTIME, "StopPodSandbox", pb.StopPodSandboxRequestSchema, pb.StopPodSandboxResponseSchema, { podSandboxId });
  }

  async removePodSandbox(podSandboxId: string): Promise<void> {
    await this.call(RUNTIME, "RemovePodSandbox", pb.RemovePodSandboxRequestSchema, pb.RemovePodSandboxResponseSchema, {
      podSandboxId,
    });
  }

  async podSandboxStatus(podSandboxId: string): Promise<pb.PodSandboxStatus> {
    const response = await this.call(RUNTIME, "PodSandboxStatus", pb.PodSandboxStatusRequestSchema, pb.PodSandboxStatusResponseSchema, {
      podSandboxId,
    });
    if (response.status === undefined) {
      throw new CriError("PodSandboxStatus", 5, `no status returned for sandbox ${podSandboxId}`, this.socketPath);
    }
    return response.status;
  }

  /** Lists sandboxes whose labels include every pair of `labelSelector`. */
  async listPodSandbox(labelSelector: Record<string, string> = {}): Promise<pb.PodSandbox[]> {
    const cache = this.sandboxItems;
    const response = await this.call(
      RUNTIME,
      "ListPodSandbox",
      pb.ListPodSandboxRequestSchema,
      pb.ListPodSandboxResponseSchema,
      { filter: { labelSelector } },
      this.callTimeoutMs,
      cache && ((bytes) => withItems(cache.decode(bytes), (items) => create(pb.ListPodSandboxResponseSchema, { items }))),
    );
    return response.items;
  }

  /** Creates a container in a sandbox and returns its ID. */
  async createContainer(
    podSandboxId: string,
    config: MessageInitShape<typeof pb.ContainerConfigSchema>,
    sandboxConfig: MessageInitShape<typeof pb.PodSandboxConfigSchema>,
  ): Promise<string> {
    const response = await this.call(RUNTIME, "CreateContainer", pb.CreateContainerRequestSchema, pb.CreateContainerResponseSchema, {
      podSandboxId,
      config,
      sandboxConfig,
    });
    return response.containerId;
  }

  async startContainer(containerId: string): Promise<void> {
    await this.call(RUNTIME, "StartContainer", pb.StartContainerRequestSchema, pb.StartContainerResponseSchema, { containerId });
  }

  /** Stops a container: the stop signal, then SIGKILL after `timeoutSeconds`. */
  async stopContainer(containerId: string, timeoutSeconds: number): Promise<void> {
    // The runtime itself waits up to timeoutSeconds, so the deadline must outlast it.
    const deadlineMs = this.callTimeoutMs + timeoutSeconds * 1000;
    await this.call(
      RUNTIME,
      "StopContainer",
      pb.StopContainerRequestSchema,
      pb.StopContainerResponseSchema,
      { containerId, timeout: BigInt(timeoutSeconds) },
      deadlineMs,
    );
  }

  async removeContainer(containerId: string): Promise<void> {
    await this.call(RUNTIME, "RemoveContainer", pb.RemoveContainerRequestSchema, pb.RemoveContainerResponseSchema, { containerId });
  }

  /** Lists containers whose labels include every pair of `labelSelector`, in one sandbox when `podSandboxId` is set. */
  async listContainers(labelSelector: Record<string, string> = {}, podSandboxId = ""): Promise<pb.Container[]> {
    // A list of one sandbox would replace the cached items of the full listing, so it is not cached.
    const cache = podSandboxId === "" ? this.containerItems : undefined;
    const response = await this.call(
      RUNTIME,
      "ListContainers",
      pb.ListContainersRequestSchema,
      pb.ListContainersResponseSchema,
      { filter: { labelSelector, podSandboxId } },
      this.callTimeoutMs,
      cache && ((bytes) => withItems(cache.decode(bytes), (containers) => create(pb.ListContainersResponseSchema, { containers }))),
    );
    return response.containers;
  }

  async containerStatus(containerId: string): Promise<pb.ContainerStatus> {
    const response = await this.call(RUNTIME, "ContainerStatus", pb.ContainerStatusRequestSchema, pb.ContainerStatusResponseSchema, {
      containerId,
    });
    if (response.status === undefined) {
      throw new CriError("ContainerStatus", 5, `no status returned for container ${containerId}`, this.socketPath);
    }
    return response.status;
  }

  /** Runs a command in a container and waits for it, for at most `timeoutSeconds`. */
  async execSync(containerId: string, cmd: string[], timeoutSeconds: number): Promise<pb.ExecSyncResponse> {
    const deadlineMs = this.callTimeoutMs + timeoutSeconds * 1000;
    return this.call(
      RUNTIME,
      "ExecSync",
      pb.ExecSyncRequestSchema,
      pb.ExecSyncResponseSchema,
      { containerId, cmd, timeout: BigInt(timeoutSeconds) },
      deadlineMs,
    );
  }

  /** Returns the image if the node has it, or undefined. */
  async imageStatus(image: string): Promise<pb.Image | undefined> {
    const response = await this.call(IMAGE, "ImageStatus", pb.ImageStatusRequestSchema, pb.ImageStatusResponseSchema, {
      image: { image },
    });
    return response.image;
  }

  /** Pulls an image and returns the reference the runtime stored it under. */
  async pullImage(image: string, sandboxConfig?: MessageInitShape<typeof pb.PodSandboxConfigSchema>): Promise<string> {
    const response = await this.call(
      IMAGE,
      "PullImage",
      pb.PullImageRequestSchema,
      pb.PullImageResponseSchema,
      { image: { image }, sandboxConfig },
      this.pullTimeoutMs,
    );
    return response.imageRef;
  }

  /**
   * Makes one call. `decodeCached`, when given, decodes the response from the item cache and returns
   * undefined for a response it cannot take apart, which is then decoded whole.
   */
  private async call<I extends DescMessage, O extends DescMessage>(
    service: string,
    method: string,
    requestSchema: I,
    responseSchema: O,
    request: MessageInitShape<I>,
    timeoutMs = this.callTimeoutMs,
    decodeCached?: (bytes: Buffer) => MessageShape<O> | undefined,
  ): Promise<MessageShape<O>> {
    const started = performance.now();
    let response: MessageShape<O>;
    try {
      const bytes = await this.transport.unary(service + method, toBinary(requestSchema, create(requestSchema, request)), timeoutMs);
      response = decodeWith(responseSchema, bytes, decodeCached);
    } catch (error) {
      const criError = CriError.from(method, this.socketPath, error);
      this.onCall?.({ method, durationMs: performance.now() - started, error: criError });
      throw criError;
    }

    this.onCall?.({ method, durationMs: performance.now() - started });
    return response;
  }
}

/** Returns `wrap(items)`, or undefined when the cache could not take the response apart. */
function withItems<T, R>(items: T[] | undefined, wrap: (items: T[]) => R): R | undefined {
  return items === undefined ? undefined : wrap(items);
}

/** Decodes a response message; bytes that are not a valid message fail with INTERNAL, as in gRPC clients. */
function decodeWith<O extends DescMessage>(schema: O, bytes: Buffer, decodeCached: ((bytes: Buffer) => MessageShape<O> | undefined) | undefined): MessageShape<O> {
  try {
    return decodeCached?.(bytes) ?? fromBinary(schema, bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new GrpcError(Code.INTERNAL, `invalid ${schema.typeName} message: ${reason}`, { cause: error });
  }
}

/** Returns the numbers of a message's map fields. */
function mapFieldNumbers(schema: DescMessage): number[] {
  return schema.fields.filter((field) => field.fieldKind === "map").map((field) => field.number);
}
