import { Code, codeName } from "./grpc-status.js";

/** gRPC status codes by name, for callers that branch on them, and their names for messages. */
export { Code, codeName };

/**
 * An error from one CRI call: the method comes first, the gRPC status code is kept, and the
 * original error stays in `cause`. Connection failures read as one sentence naming the socket.
 */
export class CriError extends Error {
  override readonly name = "CriError";

  constructor(
    /** CRI method that failed, such as `RunPodSandbox`. */
    readonly method: string,
    /** gRPC status code; `Code.UNAVAILABLE` when the runtime cannot be reached. */
    readonly code: number,
    /** The runtime's own message, or a description of the connection failure. */
    readonly details: string,
    /** Path of the CRI socket the call went to. */
    readonly socketPath: string,
    options?: { cause?: unknown },
  ) {
    super(`cri ${method}: ${codeName(code)}: ${details}`, options);
  }

  /** Reports whether the runtime could not be reached at all (socket missing, refused, timed out). */
  get unreachable(): boolean {
    return this.code === Code.UNAVAILABLE;
  }

  /** Reports whether the call ran out of time; the runtime may still have done the work. */
  get deadlineExceeded(): boolean {
    return this.code === Code.DEADLINE_EXCEEDED;
  }

  /** Reports whether the runtime said the object does not exist. */
  get notFound(): boolean {
    return this.code === Code.NOT_FOUND || /not found/i.test(this.details);
  }

  /**
   * Converts anything a gRPC call rejected with into a CriError for `method`. OS-level connection
   * errors are turned into one sentence that names the socket and what to check.
   */
  static from(method: string, socketPath: string, error: unknown): CriError {
    if (error instanceof CriError) {
      return error;
    }

    const grpcError = error as { code?: unknown; details?: unknown; message?: unknown };
    const code = typeof grpcError.code === "number" ? grpcError.code : Code.UNKNOWN;
    const details =
      typeof grpcError.details === "string" && grpcError.details !== ""
        ? grpcError.details
        : String(grpcError.message ?? error);

    const connection = describeConnectionFailure(details, socketPath);
    if (connection !== undefined) {
      return new CriError(method, Code.UNAVAILABLE, connection, socketPath, { cause: error });
    }
    return new CriError(method, code, details, socketPath, { cause: error });
  }
}

/**
 * Maps the OS error that the transport keeps in its UNAVAILABLE details to a sentence for a person,
 * or returns undefined when the details show no connection failure.
 */
function describeConnectionFailure(details: string, socketPath: string): string | undefined {
  if (details.includes("ENOENT")) {
    return `no CRI socket at ${socketPath}: is the runtime (containerd) running? (set the path with --socket)`;
  }
  if (details.includes("ECONNREFUSED")) {
    return `the CRI socket ${socketPath} refused the connection: the runtime is not listening there`;
  }
  if (details.includes("EACCES") || details.includes("EPERM")) {
    return `permission denied on the CRI socket ${socketPath}: run tinylet as root or as a user allowed to use it`;
  }
  if (details.includes("ENOTSOCK")) {
    return `${socketPath} is not a Unix socket: point --socket at the runtime's CRI socket`;
  }
  return undefined;
}
