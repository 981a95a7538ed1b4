/** gRPC probes: grpc.health.v1.Health/Check, success when the status is SERVING. */
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";

import { GrpcError, GrpcTransport } from "../cri/index.js";
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
export async function runGrpcProbe(host: string, port: number, service: string, timeoutSeconds: number): Promise<ProbeOutcome> {
  const transport = new GrpcTransport({ target: { host, port } });
  let status: number;
  try {
    const response = await transport.unary(CHECK_METHOD, encodeHealthCheckRequest(service), timeoutSeconds * 1000);
    status = decodeHealthCheckStatus(response);
  } catch (error) {
    let detail = String(error);
    if (error instanceof GrpcError) {
      detail = error.details;
    } else if (error instanceof Error) {
      detail = error.message;
    }
    return { result: "failure", message: `grpc health check on ${transport.address}: ${detail}` };
  } finally {
    transport.close();
  }

  if (status === 1) {
    return { result: "success", message: "" };
  }
  const name = SERVING_STATUS[status] ?? `status ${status}`;
  return { result: "failure", message: `service unhealthy (responded with "${name}")` };
}
