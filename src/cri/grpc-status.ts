/** The 17 gRPC status codes by name, with the same numbers as the `status` enum of @grpc/grpc-js 1.14. */
export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** One of the gRPC status code numbers. */
export type Code = (typeof Code)[keyof typeof Code];

const CODE_NAMES = new Map<number, string>(Object.entries(Code).map(([name, code]) => [code, name]));

/** Returns the lowercase name of a gRPC status code, such as `deadline exceeded`, or `code N` for an unknown number. */
export function codeName(code: number): string {
  const name = CODE_NAMES.get(code);
  return name === undefined ? `code ${code}` : name.toLowerCase().replaceAll("_", " ");
}

/**
 * A failed gRPC call: the status code, and the server's message or a description of what failed in
 * the client. Connection failures keep the OS error text (ENOENT, ECONNREFUSED) in `details`.
 */
export class GrpcError extends Error {
  override readonly name = "GrpcError";

  constructor(
    /** gRPC status code; a server may send a number that `Code` does not name. */
    readonly code: number,
    /** The grpc-message of the server, percent-decoded, or the client's own description. */
    readonly details: string,
    options?: { cause?: unknown },
  ) {
    super(`${codeName(code)}: ${details}`, options);
  }
}
