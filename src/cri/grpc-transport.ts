/**
 * A unary gRPC client on node:http2 for one server, reached over a Unix socket or TCP. All calls share
 * one HTTP/2 session; when it fails, closes or receives GOAWAY, the next call opens a new one.
 */
import http2, { type ClientHttp2Session, type ClientHttp2Stream } from "node:http2";
import net from "node:net";

import { Code, GrpcError } from "./grpc-status.js";
import { checkResponseHeaders, encodeTimeout, frameMessage, readStatus, UnaryMessageReader, type GrpcStatus } from "./grpc-wire.js";

/** The server of a GrpcTransport: a Unix socket path, or a TCP host and port. */
export type GrpcTarget = { socketPath: string } | { host: string; port: number };

/** Options of a GrpcTransport. */
export interface GrpcTransportOptions {
  target: GrpcTarget;
  /** Largest response message accepted, in bytes; a larger one fails the call with RESOURCE_EXHAUSTED. Default 4 MiB. */
  maxReceiveMessageBytes?: number;
}

/** Default of `maxReceiveMessageBytes`: 4 MiB, the default of the gRPC libraries. */
export const DEFAULT_MAX_RECEIVE_MESSAGE_BYTES = 4 * 1024 * 1024;

/**
 * Maximum attempts of one call whose stream the server refused before processing it (REFUSED_STREAM,
 * or a session that went away before the stream started). Only such attempts are repeated.
 */
const MAX_ATTEMPTS = 5;

const USER_AGENT = "tinylet";

const { NGHTTP2_CANCEL, NGHTTP2_ENHANCE_YOUR_CALM, NGHTTP2_NO_ERROR, NGHTTP2_REFUSED_STREAM } = http2.constants;

/** One HTTP/2 session and the error that ended it, once there is one. */
interface Connection {
  readonly session: ClientHttp2Session;
  error: Error | undefined;
}

/**
 * State of the transport's connection, changed only by setState. A new session stays `connecting`
 * until the server's SETTINGS arrive, because the server refuses streams sent before then that exceed
 * its limit of concurrent streams. Once the limit is known, node:http2 queues the streams over it.
 */
type ConnectionState =
  | { kind: "idle" }
  | { kind: "connecting"; connection: Connection; ready: Promise<Connection> }
  | { kind: "ready"; connection: Connection }
  | { kind: "closed" };

/** The part of a GrpcTransport that its calls use. */
interface SessionSource {
  readonly address: string;
  readonly maxReceiveMessageBytes: number;
  /** Returns the current session, or a promise of a new one; throws UNAVAILABLE once the transport is closed. */
  acquire(): Connection | Promise<Connection>;
  /** Stops giving `connection` to new calls. */
  drop(connection: Connection): void;
}

/**
 * A unary gRPC client for one server. Every call has a deadline; every failure is a GrpcError.
 * An idle session does not keep the process alive, so a CLI that does not call close() still exits.
 */
export class GrpcTransport {
  /** The server as text for messages: the socket path, or host:port. */
  readonly address: string;
  private readonly target: GrpcTarget;
  private readonly authority: string;
  private readonly maxReceiveMessageBytes: number;
  private state: ConnectionState = { kind: "idle" };
  private readonly sessions: SessionSource;

  constructor(options: GrpcTransportOptions) {
    this.target = options.target;
    this.maxReceiveMessageBytes = options.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_MESSAGE_BYTES;
    if ("socketPath" in options.target) {
      this.address = options.target.socketPath;
      // A Unix socket has no host name; gRPC clients send localhost as :authority.
      this.authority = "http://localhost";
    } else {
      const host = options.target.host.includes(":") ? `[${options.target.host}]` : options.target.host;
      this.address = `${host}:${options.target.port}`;
      this.authority = `http://${this.address}`;
    }
    this.sessions = {
      address: this.address,
      maxReceiveMessageBytes: this.maxReceiveMessageBytes,
      acquire: () => this.acquire(),
      drop: (connection) => this.drop(connection),
    };
  }

  /**
   * Calls `path` (`/package.Service/Method`) with one encoded request message and returns the encoded
   * response message. Fails with a GrpcError: the server's status, DEADLINE_EXCEEDED once `timeoutMs`
   * has passed, or UNAVAILABLE when the server cannot be reached or the connection breaks.
   */
  unary(path: string, message: Uint8Array, timeoutMs: number): Promise<Buffer> {
    return new UnaryCall(this.sessions, path, frameMessage(message), timeoutMs).result;
  }

  /** Ends the session: calls in flight may finish, and calls made afterwards fail with UNAVAILABLE. */
  close(): void {
    const state = this.state;
    this.setState({ kind: "closed" });

    if (state.kind === "connecting") {
      state.connection.error = new Error(`the client of ${this.address} was closed`);
      state.connection.session.destroy();
    } else if (state.kind === "ready") {
      state.connection.session.close();
    }
  }

  private acquire(): Connection | Promise<Connection> {
    switch (this.state.kind) {
      case "ready":
        return this.state.connection;
      case "connecting":
        return this.state.ready;
      case "idle":
        return this.connect();
      case "closed":
        throw new GrpcError(Code.UNAVAILABLE, `the client of ${this.address} is closed`);
    }
  }

  private drop(connection: Connection): void {
    if ((this.state.kind === "connecting" || this.state.kind === "ready") && this.state.connection === connection) {
      this.setState({ kind: "idle" });
    }
  }

  private setState(next: ConnectionState): void {
    // Closed is final: events of an old session must not revive the transport.
    if (this.state.kind !== "closed") {
      this.state = next;
    }
  }

  /** Opens a session and returns a promise of it once the server's SETTINGS have arrived. */
  private connect(): Promise<Connection> {
    const session = http2.connect(this.authority, {
      createConnection: () => this.openSocket(),
      settings: { enablePush: false },
    });
    // Each call's deadline timer keeps the process alive while the call runs; an idle session must not.
    session.unref();
    const connection: Connection = { session, error: undefined };

    const ready = new Promise<Connection>((resolve, reject) => {
      session.once("remoteSettings", () => {
        if (this.state.kind === "connecting" && this.state.connection === connection) {
          this.setState({ kind: "ready", connection });
        }
        resolve(connection);
      });
      session.once("close", () => reject(connectionError(connection, this.address, "closed before the HTTP/2 handshake finished")));
    });
    // Only the calls waiting at the time need the rejection; this keeps it from being reported as unhandled.
    ready.catch(() => undefined);

    session.on("error", (error: Error) => {
      connection.error = error;
      this.drop(connection);
    });
    session.on("goaway", () => this.drop(connection));
    session.on("close", () => this.drop(connection));

    // NOTE: a server that accepts the connection but never sends SETTINGS keeps it connecting; each call still ends at its deadline.
    this.setState({ kind: "connecting", connection, ready });
    return ready;
  }

  private openSocket(): net.Socket {
    if ("socketPath" in this.target) {
      return net.connect(this.target.socketPath);
    }
    return net.connect({ host: this.target.host, port: this.target.port, noDelay: true });
  }
}

/** Returns the UNAVAILABLE error of a broken session; the OS error text (ENOENT, ECONNREFUSED) is kept when there is one. */
function connectionError(connection: Connection, address: string, fallback: string): GrpcError {
  const error = connection.error;
  if (error !== undefined) {
    return new GrpcError(Code.UNAVAILABLE, error.message, { cause: error });
  }
  return new GrpcError(Code.UNAVAILABLE, `the connection to ${address} ${fallback}`);
}

function toGrpcError(error: unknown): GrpcError {
  if (error instanceof GrpcError) {
    return error;
  }
  return new GrpcError(Code.INTERNAL, messageOf(error), { cause: error });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Returns the error of a stream that closed without a grpc-status, from its RST_STREAM code. */
function resetError(rstCode: number, streamError: Error | undefined): GrpcError {
  switch (rstCode) {
    case NGHTTP2_NO_ERROR:
      return new GrpcError(Code.INTERNAL, "the response ended without a grpc-status");
    case NGHTTP2_CANCEL:
      return new GrpcError(Code.CANCELLED, "the server cancelled the call");
    case NGHTTP2_ENHANCE_YOUR_CALM:
      return new GrpcError(Code.RESOURCE_EXHAUSTED, "the server reset the stream with ENHANCE_YOUR_CALM");
    default:
      return new GrpcError(Code.INTERNAL, streamError?.message ?? `the server reset the stream with HTTP/2 error code ${rstCode}`, {
        cause: streamError,
      });
  }
}

/** One unary call from its first attempt to its result; each attempt is one HTTP/2 stream. */
class UnaryCall {
  readonly result: Promise<Buffer>;
  private resolveResult: (message: Buffer) => void = () => undefined;
  private rejectResult: (error: GrpcError) => void = () => undefined;
  private readonly deadlineAt: number;
  private readonly timer: NodeJS.Timeout;
  private stream: ClientHttp2Stream | undefined;
  private attempts = 0;
  private settled = false;

  constructor(
    private readonly sessions: SessionSource,
    private readonly path: string,
    private readonly frame: Buffer,
    private readonly timeoutMs: number,
  ) {
    this.result = new Promise<Buffer>((resolve, reject) => {
      this.resolveResult = resolve;
      this.rejectResult = reject;
    });
    this.deadlineAt = performance.now() + timeoutMs;
    // Left referenced: while the call runs, this timer keeps the process alive, since the session does not.
    this.timer = setTimeout(() => this.expire(), timeoutMs);
    this.attempt();
  }

  private attempt(): void {
    this.attempts++;

    let connection: Connection | Promise<Connection>;
    try {
      connection = this.sessions.acquire();
    } catch (error) {
      this.fail(toGrpcError(error));
      return;
    }

    if (connection instanceof Promise) {
      connection.then(
        (ready) => this.send(ready),
        (error: unknown) => this.fail(toGrpcError(error)),
      );
    } else {
      this.send(connection);
    }
  }

  private send(connection: Connection): void {
    if (this.settled) {
      return;
    }

    let stream: ClientHttp2Stream;
    try {
      stream = connection.session.request({
        ":method": "POST",
        ":path": this.path,
        "content-type": "application/grpc",
        te: "trailers",
        "grpc-timeout": encodeTimeout(this.deadlineAt - performance.now()),
        "user-agent": USER_AGENT,
      });
    } catch (error) {
      // The session went away (GOAWAY, destroyed) after it was acquired, so nothing was sent.
      this.sessions.drop(connection);
      this.retryOrFail(
        new GrpcError(Code.UNAVAILABLE, `could not start a stream to ${this.sessions.address}: ${messageOf(error)}`, { cause: error }),
      );
      return;
    }
    this.stream = stream;

    const reader = new UnaryMessageReader(this.sessions.maxReceiveMessageBytes);
    let status: GrpcStatus | undefined;
    let streamError: Error | undefined;

    stream.on("response", (headers) => {
      // A trailers-only response carries the status in its headers.
      status = readStatus(headers);
      const invalid = status === undefined ? checkResponseHeaders(headers) : undefined;
      if (invalid !== undefined) {
        this.fail(invalid);
      }
    });
    stream.on("data", (chunk: Buffer) => {
      if (this.settled) {
        return;
      }
      try {
        reader.push(chunk);
      } catch (error) {
        this.fail(toGrpcError(error));
      }
    });
    stream.on("trailers", (trailers) => {
      status = readStatus(trailers) ?? status;
    });
    stream.on("error", (error: Error) => {
      streamError = error;
    });
    stream.on("close", () => this.finish(connection, stream, reader, status, streamError));

    stream.end(this.frame);
  }

  /** Settles the call once its stream has closed, unless a deadline or a bad message settled it before. */
  private finish(
    connection: Connection,
    stream: ClientHttp2Stream,
    reader: UnaryMessageReader,
    status: GrpcStatus | undefined,
    streamError: Error | undefined,
  ): void {
    if (this.settled) {
      return;
    }

    if (status !== undefined) {
      if (status.code !== Code.OK) {
        this.fail(new GrpcError(status.code, status.message));
        return;
      }
      try {
        this.succeed(reader.finish());
      } catch (error) {
        this.fail(toGrpcError(error));
      }
      return;
    }

    if (stream.rstCode === NGHTTP2_REFUSED_STREAM) {
      this.retryOrFail(new GrpcError(Code.UNAVAILABLE, `${this.sessions.address} rejected the stream with REFUSED_STREAM before processing it`));
      return;
    }
    if (connection.session.destroyed) {
      this.fail(connectionError(connection, this.sessions.address, "closed while the call was in progress"));
      return;
    }
    this.fail(resetError(stream.rstCode ?? NGHTTP2_NO_ERROR, streamError));
  }

  /** Starts another attempt of a call that the server did not process, while attempts and time are left. */
  private retryOrFail(error: GrpcError): void {
    if (this.attempts < MAX_ATTEMPTS && performance.now() < this.deadlineAt) {
      this.attempt();
      return;
    }
    this.fail(error);
  }

  private expire(): void {
    this.fail(new GrpcError(Code.DEADLINE_EXCEEDED, `no response from ${this.sessions.address} within the deadline of ${this.timeoutMs} ms`));
  }

  private succeed(message: Buffer): void {
    if (this.settled) {
      return;
    }
    this.settle();
    this.resolveResult(message);
  }

  private fail(error: GrpcError): void {
    if (this.settled) {
      return;
    }
    this.settle();
    this.rejectResult(error);
  }

  /** Stops the deadline timer, and cancels the stream when it is still open (a deadline, a bad response). */
  private settle(): void {
    this.settled = true;
    clearTimeout(this.timer);
    if (this.stream !== undefined && !this.stream.closed) {
      this.stream.close(NGHTTP2_CANCEL);
    }
  }
}
