/**
 * A pass-through CRI proxy that timestamps every call: tinylet talks to the proxy's socket, the
 * proxy forwards the unchanged bytes to the runtime. The arrival time of a call at the proxy is
 * when the runtime would have received it, measured on the benchmark's own clock. The extra hop
 * adds a little to every call's duration, so the proxy is used only where arrival times matter.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { fromBinary } from "@bufbuild/protobuf";
import { Client, credentials, Metadata, Server, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall, type ServiceError } from "@grpc/grpc-js";

import * as pb from "../src/cri/gen/runtime_pb.js";

/** Deadline of a forwarded call, in milliseconds; longer than any call the benchmark makes. */
const FORWARD_DEADLINE_MS = 120_000;

/** One call that went through the proxy. */
export interface ProxiedCall {
  method: string;
  /** `namespace/name` of the pod, for RunPodSandbox and CreateContainer; undefined for other calls. */
  pod: string | undefined;
  /** performance.now() when the request arrived and when the response was sent back, in milliseconds. */
  arrivedMs: number;
  respondedMs: number;
  /** gRPC status code of the response; 0 is OK. */
  code: number;
}

/** A running proxy; create it with startCriProxy. */
export class CriProxy {
  /** Every finished call, in the order the responses were sent. */
  readonly calls: ProxiedCall[] = [];
  /** Listeners called for each call when it arrives, before it is forwarded. */
  readonly onArrival = new Set<(method: string, pod: string | undefined, arrivedMs: number) => void>();

  constructor(
    readonly socketPath: string,
    private readonly dir: string,
    private readonly server: Server,
    private readonly upstream: Client,
  ) {}

  /** Stops the proxy, drops its connection to the runtime and removes its socket directory. */
  async close(): Promise<void> {
    this.server.forceShutdown();
    this.upstream.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Starts a proxy in front of the runtime at `targetSocket`, listening on a new socket in a temporary directory. */
export async function startCriProxy(targetSocket: string): Promise<CriProxy> {
  const dir = await mkdtemp(path.join(tmpdir(), "tinylet-bench-proxy-"));
  const socketPath = path.join(dir, "cri.sock");
  const server = new Server();
  const upstream = new Client(`unix:${targetSocket}`, credentials.createInsecure(), {
    "grpc.max_receive_message_length": 64 * 1024 * 1024,
  });
  const proxy = new CriProxy(socketPath, dir, server, upstream);
  const identity = (bytes: Buffer): Buffer => bytes;

  for (const method of [...pb.RuntimeService.methods, ...pb.ImageService.methods]) {
    const route = `/${method.parent.typeName}/${method.name}`;
    server.register(
      route,
      (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
        const arrivedMs = performance.now();
        const pod = podOf(method.name, call.request);
        for (const listener of proxy.onArrival) {
          listener(method.name, pod, arrivedMs);
        }
        upstream.makeUnaryRequest(
          route,
          identity,
          identity,
          call.request,
          new Metadata(),
          { deadline: Date.now() + FORWARD_DEADLINE_MS },
          (error: ServiceError | null, response?: Buffer) => {
            proxy.calls.push({ method: method.name, pod, arrivedMs, respondedMs: performance.now(), code: error?.code ?? status.OK });
            if (error !== null || response === undefined) {
              callback({ code: error?.code ?? status.INTERNAL, details: error?.details ?? "empty response from the runtime" });
            } else {
              callback(null, response);
            }
          },
        );
      },
      identity,
      identity,
      "unary",
    );
  }

  try {
    await new Promise<void>((resolve, reject) => {
      server.bindAsync(`unix:${socketPath}`, ServerCredentials.createInsecure(), (error) => (error === null ? resolve() : reject(error)));
    });
  } catch (error) {
    await proxy.close();
    throw error;
  }
  return proxy;
}

/** Reads the pod a call is about from its request, for the calls that name one. */
function podOf(method: string, request: Buffer): string | undefined {
  let metadata: pb.PodSandboxMetadata | undefined;
  if (method === "RunPodSandbox") {
    metadata = fromBinary(pb.RunPodSandboxRequestSchema, request).config?.metadata;
  } else if (method === "CreateContainer") {
    metadata = fromBinary(pb.CreateContainerRequestSchema, request).sandboxConfig?.metadata;
  }
  return metadata === undefined ? undefined : `${metadata.namespace}/${metadata.name}`;
}
