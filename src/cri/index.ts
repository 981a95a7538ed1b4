/** The only public surface of the CRI layer: the client, its errors and the generated message types. */
export { CriClient, DEFAULT_CALL_TIMEOUT_MS, DEFAULT_PULL_TIMEOUT_MS, type CriCallEvent, type CriClientOptions } from "./client.js";
export { Code, CriError, codeName } from "./errors.js";
export * from "./gen/runtime_pb.js";
