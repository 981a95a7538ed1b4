/** gRPC probes: grpc.health.v1.Health/Check, success when the status is SERVING. */
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { Client, credentials, Metadata, type ServiceError } from "@grpc/grpc-js";

import type { ProbeOutcome } from "./state.js";

const CHECK_METHOD = "/grpc.health.v1.Health/Check";

/** HealthCheckResponse.ServingStatus values of grpc/health/v1/health.proto. */
const SERVING_STATUS = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"] as const;

/** Encodes HealthCheckRequest { string service = 1; }. */
export function encodeHealthCheckRequest(service: string): Uint8Array {
  const writer = new BinaryWriter();
  if (service !== "") writer.tag(1, 2).string(service);
  return writer.finish();
}

/** Decodes HealthCheckResponse { ServingStatus status = 1; }; unknown fields are skipped. */
export function decodeHealthCheckStatus(bytes: Uint8Array): number {
  const reader = new BinaryReader(bytes);
  let status = 0;
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === 0) status = reader.int32();
    else reader.skip(wireType);
  }
  return status;
}

/** Calls Health/Check on `host:port` over plaintext; any error is a failure, as in kubelet. */
export function runGrpcProbe(host: string, port: number, service: string, timeoutSeconds: number): Promise<ProbeOutcome> {
  const address = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  const client = new Client(address, credentials.createInsecure());
  return new Promise<ProbeOutcome>((resolve) => {
    client.makeUnaryRequest(
      CHECK_METHOD,
      (request: string) => Buffer.from(encodeHealthCheckRequest(request)),
      // Wrapped in an object because grpc-js takes a falsy message (status 0, UNKNOWN) for no message.
      (bytes: Buffer) => ({ status: decodeHealthCheckStatus(bytes) }),
      service,
      new Metadata(),
      { deadline: Date.now() + timeoutSeconds * 1000 },
      (error: ServiceError | null, response?: { status: number }) => {
        const status = response?.status;
        if (error !== null || status === undefined) {
          const detail = error?.details || error?.message || "empty response";
          resolve({ result: "failure", message: `grpc health check on ${address}: ${detail}` });
          return;
        }
        if (status === 1) {
          resolve({ result: "success", message: "" });
          return;
        }
        const name = SERVING_STATUS[status] ?? `status ${status}`;
        resolve({ result: "failure", message: `service unhealthy (responded with "${name}")` });
      },
    );
  }).finally(() => client.close());
}
