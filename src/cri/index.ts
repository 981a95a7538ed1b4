/**
 * The only public surface of the CRI layer: the client, its errors, the generated message types, and
 * the unary gRPC transport under the client, which gRPC probes use too.
 */
export { CriClient, DEFAULT_CALL_TIMEOUT_MS, DEFAULT_PULL_TIMEOUT_MS, type CriCallEvent, type CriClientOptions } from "./client.js";
export { Code, CriError, codeName } from "./errors.js";
export { GrpcError } from "./grpc-status.js";
export { GrpcTransport, type GrpcTarget, type GrpcTransportOptions } from "./grpc-transport.js";
export * from "./gen/runtime_pb.js";
