/**
 * The parts of gRPC over HTTP/2 (grpc/grpc doc/PROTOCOL-HTTP2.md) that a unary client needs, as pure
 * functions: the length-prefixed message, the grpc-timeout header, and the status in trailers.
 */
import type { IncomingHttpHeaders, IncomingHttpStatusHeader } from "node:http2";

import { Code, GrpcError } from "./grpc-status.js";

/** Size of the prefix of every message: a compressed flag byte and a big-endian uint32 length. */
const PREFIX_BYTES = 5;

/** Largest number a grpc-timeout value may have: the protocol allows at most 8 digits. */
const MAX_TIMEOUT_VALUE = 99_999_999;

/** Returns `message` with its 5-byte prefix: compressed flag 0, then the length. */
export function frameMessage(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(PREFIX_BYTES + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, PREFIX_BYTES);
  return frame;
}

/** Returns the grpc-timeout header value for `timeoutMs`, in the finest unit that fits in 8 digits. */
export function encodeTimeout(timeoutMs: number): string {
  const milliseconds = Math.max(1, Math.ceil(timeoutMs));
  if (milliseconds <= MAX_TIMEOUT_VALUE) {
    return `${milliseconds}m`;
  }
  const seconds = Math.ceil(milliseconds / 1000);
  if (seconds <= MAX_TIMEOUT_VALUE) {
    return `${seconds}S`;
  }
  return `${Math.min(MAX_TIMEOUT_VALUE, Math.ceil(seconds / 3600))}H`;
}

/**
 * Decodes a percent-encoded grpc-message. A value that does not decode (a stray `%`, bytes that are
 * not UTF-8) is returned as it came, which the protocol allows.
 */
export function decodePercentEncoded(value: string): string {
  if (!value.includes("%")) {
    return value;
  }
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** A status read from trailers, or from the headers of a trailers-only response. */
export interface GrpcStatus {
  code: number;
  /** The decoded grpc-message; empty when there is none. */
  message: string;
}

/**
 * Reads grpc-status and grpc-message from `headers`, or returns undefined when grpc-status is absent.
 * A grpc-status that is not a decimal number becomes UNKNOWN, as gRPC clients treat a status they cannot parse.
 */
export function readStatus(headers: IncomingHttpHeaders): GrpcStatus | undefined {
  const status = firstValue(headers["grpc-status"]);
  if (status === undefined) {
    return undefined;
  }

  const message = decodePercentEncoded(firstValue(headers["grpc-message"]) ?? "");
  if (!/^[0-9]+$/.test(status)) {
    return { code: Code.UNKNOWN, message: `invalid grpc-status ${JSON.stringify(status)}${message === "" ? "" : `: ${message}`}` };
  }
  return { code: Number(status), message };
}

/**
 * Checks the response headers of a call that carry no grpc-status, and returns the error they show:
 * an HTTP status other than 200 (mapped as grpc/grpc doc/http-grpc-status-mapping.md does) or a
 * content-type that is not gRPC. Returns undefined for a valid gRPC response.
 */
export function checkResponseHeaders(headers: IncomingHttpHeaders & IncomingHttpStatusHeader): GrpcError | undefined {
  const httpStatus = headers[":status"] ?? 0;
  if (httpStatus !== 200) {
    return new GrpcError(codeOfHttpStatus(httpStatus), `the response has HTTP status ${httpStatus} instead of 200`);
  }

  const contentType = headers["content-type"] ?? "";
  if (!contentType.startsWith("application/grpc")) {
    return new GrpcError(Code.UNKNOWN, `the response has content-type ${JSON.stringify(contentType)} instead of application/grpc`);
  }
  return undefined;
}

function codeOfHttpStatus(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
    case 431:
      return Code.INTERNAL;
    case 401:
      return Code.UNAUTHENTICATED;
    case 403:
      return Code.PERMISSION_DENIED;
    case 404:
      return Code.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return Code.UNAVAILABLE;
    default:
      return Code.UNKNOWN;
  }
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

type ReaderState =
  | { phase: "prefix"; filled: number }
  | { phase: "body"; message: Buffer; filled: number }
  | { phase: "done"; message: Buffer };

/**
 * Collects the one message of a unary response from DATA chunks, whose boundaries need not match the
 * message's. It keeps at most one message, of at most `maxMessageBytes`.
 */
export class UnaryMessageReader {
  private readonly prefix = Buffer.alloc(PREFIX_BYTES);
  private state: ReaderState = { phase: "prefix", filled: 0 };

  constructor(
    /** Largest message accepted, in bytes; the prefix's length is checked before any body is kept. */
    private readonly maxMessageBytes: number,
  ) {}

  /**
   * Adds one chunk of the response body. Throws a GrpcError for a compressed message (INTERNAL), one
   * over the limit (RESOURCE_EXHAUSTED) or a second message (UNIMPLEMENTED, a cardinality violation).
   */
  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      const state = this.state;
      switch (state.phase) {
        case "prefix": {
          const count = Math.min(PREFIX_BYTES - state.filled, chunk.length - offset);
          chunk.copy(this.prefix, state.filled, offset, offset + count);
          offset += count;
          state.filled += count;
          if (state.filled === PREFIX_BYTES) {
            offset = this.startBody(chunk, offset);
          }
          break;
        }
        case "body": {
          const count = Math.min(state.message.length - state.filled, chunk.length - offset);
          chunk.copy(state.message, state.filled, offset, offset + count);
          offset += count;
          state.filled += count;
          if (state.filled === state.message.length) {
            this.state = { phase: "done", message: state.message };
          }
          break;
        }
        case "done":
          throw new GrpcError(Code.UNIMPLEMENTED, "the server sent more than one message in a unary response");
      }
    }
  }

  /** Returns the message once the response has ended; throws INTERNAL or UNIMPLEMENTED when it is missing or cut short. */
  finish(): Buffer {
    const state = this.state;
    switch (state.phase) {
      case "done":
        return state.message;
      case "prefix":
        if (state.filled === 0) {
          throw new GrpcError(Code.UNIMPLEMENTED, "the server sent no message in a unary response");
        }
        throw new GrpcError(Code.INTERNAL, `the response ended inside a message prefix, after ${state.filled} of ${PREFIX_BYTES} bytes`);
      case "body":
        throw new GrpcError(Code.INTERNAL, `the response ended inside a message, after ${state.filled} of ${state.message.length} bytes`);
    }
  }

  /** Checks the complete prefix and starts the body; returns the offset in `chunk` after what it used. */
  private startBody(chunk: Buffer, offset: number): number {
    const flag = this.prefix[0];
    const length = this.prefix.readUInt32BE(1);
    if (flag === 1) {
      throw new GrpcError(Code.INTERNAL, "the server sent a compressed message, but this client never asks for compression");
    }
    if (flag !== 0) {
      throw new GrpcError(Code.INTERNAL, `invalid compressed flag ${String(flag)} in a response message prefix`);
    }
    if (length > this.maxMessageBytes) {
      throw new GrpcError(
        Code.RESOURCE_EXHAUSTED,
        `response message of ${length} bytes is larger than the maximum of ${this.maxMessageBytes} bytes`,
      );
    }

    // Most responses arrive whole in one chunk: use a view of it instead of a copy.
    if (chunk.length - offset >= length) {
      this.state = { phase: "done", message: chunk.subarray(offset, offset + length) };
      return offset + length;
    }
    this.state = { phase: "body", message: Buffer.allocUnsafe(length), filled: 0 };
    return offset;
  }
}
