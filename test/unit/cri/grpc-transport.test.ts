/**
 * The unary gRPC transport against node:http2 servers started here, each on a fresh temporary socket,
 * so every test controls the bytes, headers and trailers it sends back.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import http2, { type Http2Server, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test, type TestContext } from "node:test";

import { Code, CriClient, CriError, GrpcError, GrpcTransport } from "../../../src/cri/index.js";
import { decodePercentEncoded, encodeTimeout, UnaryMessageReader } from "../../../src/cri/grpc-wire.js";
import { expectSocketsClosed, socketHandleCount } from "../../support/fake-cri.js";

const { NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM } = http2.constants;

/** The 64 MiB receive limit of CriClient. */
const CRI_MAX_RECEIVE_BYTES = 64 * 1024 * 1024;

/** One request as a test server received it. */
interface ReceivedCall {
  headers: IncomingHttpHeaders;
  /** The request message without its prefix. */
  message: Buffer;
  stream: ServerHttp2Stream;
}

/** Handles one request; it may respond at once, later or never. */
type Handler = (call: ReceivedCall) => void;

/** An HTTP/2 server on a temporary Unix socket, with what it has seen. */
interface TestServer {
  socketPath: string;
  server: Http2Server;
  calls: ReceivedCall[];
  /** Every session a client opened, in order. */
  sessions: Http2Session[];
  /** Ends every session at once, as a crashing runtime does, and stops listening. */
  stop(): Promise<void>;
}

/** Returns `message` with a gRPC prefix; `flag` and `length` may lie, to test the client's checks. */
function prefixed(message: Buffer, flag = 0, length = message.length): Buffer {
  const prefix = Buffer.alloc(5);
  prefix[0] = flag;
  prefix.writeUInt32BE(length, 1);
  return Buffer.concat([prefix, message]);
}

/** Responds to `call` with `message` and status OK, the message split into `chunks` DATA writes. */
function respondOk(call: ReceivedCall, message: Buffer, chunks = 1): void {
  const frame = prefixed(message);
  call.stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
  call.stream.on("wantTrailers", () => call.stream.sendTrailers({ "grpc-status": "0" }));
  const size = Math.ceil(frame.length / chunks);
  for (let offset = 0; offset < frame.length; offset += size) {
    call.stream.write(frame.subarray(offset, offset + size));
  }
  call.stream.end();
}

/** Responds to `call` with headers, no message, and `trailers`. */
function respondWithTrailers(call: ReceivedCall, trailers: Record<string, string>): void {
  call.stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
  call.stream.on("wantTrailers", () => call.stream.sendTrailers(trailers));
  call.stream.end();
}

/** Starts a server at `socketPath`, or on a new temporary socket; it is stopped when the test ends. */
async function startServer(t: TestContext, handler: Handler, options: { socketPath?: string; maxConcurrentStreams?: number } = {}): Promise<TestServer> {
  let socketPath = options.socketPath;
  if (socketPath === undefined) {
    const dir = await mkdtemp(path.join(tmpdir(), "tinylet-grpc-test-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    socketPath = path.join(dir, "grpc.sock");
  }

  const settings = options.maxConcurrentStreams === undefined ? {} : { maxConcurrentStreams: options.maxConcurrentStreams };
  const server = http2.createServer({ settings });
  const calls: ReceivedCall[] = [];
  const sessions: Http2Session[] = [];
  server.on("session", (session) => sessions.push(session));
  server.on("stream", (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => {
      const body = Buffer.concat(chunks);
      const call = { headers, message: body.subarray(5), stream };
      calls.push(call);
      handler(call);
    });
    // A client that cancels leaves the stream to close with an error; the test checks rstCode instead.
    stream.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) {
      return;
    }
    stopped = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const session of sessions) {
      session.destroy();
    }
    await closed;
  };
  t.after(stop);
  return { socketPath, server, calls, sessions, stop };
}

/** Returns a transport to `server`, closed when the test ends. */
function transportTo(t: TestContext, server: { socketPath: string }, maxReceiveMessageBytes?: number): GrpcTransport {
  const transport = new GrpcTransport({ target: { socketPath: server.socketPath }, maxReceiveMessageBytes });
  t.after(() => transport.close());
  return transport;
}

/** Returns the GrpcError `promise` rejects with, failing the test when it resolves or rejects with anything else. */
async function grpcErrorOf(promise: Promise<unknown>): Promise<GrpcError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof GrpcError, `expected a GrpcError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected the call to fail");
}

/** Resolves once `stream` has closed, with its RST_STREAM code. */
function closedStream(stream: ServerHttp2Stream): Promise<number | undefined> {
  if (stream.closed) {
    return Promise.resolve(stream.rstCode);
  }
  return new Promise((resolve) => stream.once("close", () => resolve(stream.rstCode)));
}

const PATH = "/test.v1.Echo/Call";

let socketBaseline = 0;
before(() => {
  socketBaseline = socketHandleCount();
});
after(async () => {
  await expectSocketsClosed(socketBaseline);
});

describe("GrpcTransport responses", { timeout: 20_000 }, () => {
  test("unary call returns the message", async (t) => {
    const server = await startServer(t, (call) => respondOk(call, Buffer.from(`echo:${call.message.toString()}`)));
    const transport = transportTo(t, server);

    const response = await transport.unary(PATH, Buffer.from("hello"), 5_000);

    assert.equal(response.toString(), "echo:hello");
    const [call] = server.calls;
    assert.equal(call?.headers[":method"], "POST");
    assert.equal(call.headers[":path"], PATH);
    assert.equal(call.headers["content-type"], "application/grpc");
    assert.equal(call.headers.te, "trailers");
    const timeout = String(call.headers["grpc-timeout"]);
    assert.match(timeout, /^[0-9]{1,8}m$/);
    assert.ok(Number.parseInt(timeout, 10) <= 5_000, `grpc-timeout ${timeout} is longer than the 5 s deadline`);
    assert.ok(Number.parseInt(timeout, 10) > 4_000, `grpc-timeout ${timeout} is much shorter than the 5 s deadline`);
  });

  test("empty request and response", async (t) => {
    const server = await startServer(t, (call) => respondOk(call, Buffer.alloc(0)));
    const transport = transportTo(t, server);

    const response = await transport.unary(PATH, new Uint8Array(0), 5_000);

    assert.equal(response.length, 0);
    assert.equal(server.calls[0]?.message.length, 0);
  });

  test("error status with a percent-encoded message", async (t) => {
    const server = await startServer(t, (call) =>
      respondWithTrailers(call, { "grpc-status": "5", "grpc-message": "container %22web%22 not found: 100%25 gone %E2%9C%93" }),
    );
    const transport = transportTo(t, server);

    const error = await grpcErrorOf(transport.unary(PATH, Buffer.from("x"), 5_000));

    assert.equal(error.code, Code.NOT_FOUND);
    assert.equal(error.details, 'container "web" not found: 100% gone ✓');
  });

  test("trailers-only error response", async (t) => {
    const server = await startServer(t, (call) =>
      call.stream.respond(
        { ":status": 200, "content-type": "application/grpc", "grpc-status": "12", "grpc-message": "unknown method Call" },
        { endStream: true },
      ),
    );
    const transport = transportTo(t, server);

    const error = await grpcErrorOf(transport.unary(PATH, Buffer.from("x"), 5_000));

    assert.equal(error.code, Code.UNIMPLEMENTED);
    assert.equal(error.details, "unknown method Call");
  });

  test("CriClient keeps the runtime's status and message", async (t) => {
    const server = await startServer(t, (call) =>
      respondWithTrailers(call, { "grpc-status": "9", "grpc-message": "sandbox %22abc%22 is not ready" }),
    );
    const client = new CriClient({ socketPath: server.socketPath });
    t.after(() => client.close());

    const error = await client.startContainer("abc").then(
      () => assert.fail("expected StartContainer to fail"),
      (caught: unknown) => caught,
    );

    assert.ok(error instanceof CriError);
    assert.equal(error.code, Code.FAILED_PRECONDITION);
    assert.equal(error.message, 'cri StartContainer: failed precondition: sandbox "abc" is not ready');
    assert.equal(server.calls[0]?.headers[":path"], "/runtime.v1.RuntimeService/StartContainer");
  });

  test("CriClient rejects an undecodable response", async (t) => {
    // 0xff 0xff is a truncated varint tag, which no protobuf decoder accepts.
    const server = await startServer(t, (call) => respondOk(call, Buffer.from([0xff, 0xff])));
    const client = new CriClient({ socketPath: server.socketPath });
    t.after(() => client.close());

    const error = await client.version().then(
      () => assert.fail("expected Version to fail"),
      (caught: unknown) => caught,
    );

    assert.ok(error instanceof CriError);
    assert.equal(error.code, Code.INTERNAL);
    assert.match(error.details, /^invalid runtime\.v1\.VersionResponse message: /);
  });

  test("response split across DATA frames", async (t) => {
    const message = Buffer.from("a message cut into pieces by the server");
    const server = await startServer(t, (call) => {
      const frame = prefixed(message);
      call.stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      call.stream.on("wantTrailers", () => call.stream.sendTrailers({ "grpc-status": "0" }));
      // The first write ends inside the prefix, the next ones inside the message.
      for (const [start, end] of [[0, 3], [3, 9], [9, 20], [20, frame.length]] as const) {
        call.stream.write(frame.subarray(start, end));
      }
      call.stream.end();
    });
    const transport = transportTo(t, server);

    const response = await transport.unary(PATH, Buffer.from("x"), 5_000);

    assert.deepEqual(response, message);
  });

  test("response larger than the flow-control window", async (t) => {
    // 1 MiB is 16 times HTTP/2's initial 64 KiB window, so the client must send WINDOW_UPDATE frames.
    const message = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < message.length; i++) {
      message[i] = (i * 31) % 251;
    }
    const server = await startServer(t, (call) => respondOk(call, message, 16));
    const transport = transportTo(t, server);

    const response = await transport.unary(PATH, Buffer.from("x"), 10_000);

    assert.equal(response.length, message.length);
    assert.ok(response.equals(message), "the response bytes differ from the server's");
  });

  test("message over the receive limit", async (t) => {
    const server = await startServer(t, (call) => respondOk(call, Buffer.alloc(Number(call.message.toString()), 7)));
    const transport = transportTo(t, server, 1_000);

    const atLimit = await transport.unary(PATH, Buffer.from("1000"), 5_000);
    const error = await grpcErrorOf(transport.unary(PATH, Buffer.from("1001"), 5_000));

    assert.equal(atLimit.length, 1_000);
    assert.equal(error.code, Code.RESOURCE_EXHAUSTED);
    assert.match(error.details, /1001 bytes is larger than the maximum of 1000 bytes/);
  });

  test("64 MiB limit read from the prefix", async (t) => {
    // The server announces one byte over the limit and sends nothing more, so only the prefix can end the call.
    const server = await startServer(t, (call) => {
      call.stream.respond({ ":status": 200, "content-type": "application/grpc" });
      call.stream.write(prefixed(Buffer.alloc(16), 0, CRI_MAX_RECEIVE_BYTES + 1));
    });
    const transport = transportTo(t, server, CRI_MAX_RECEIVE_BYTES);

    const error = await grpcErrorOf(transport.unary(PATH, Buffer.from("x"), 10_000));

    assert.equal(error.code, Code.RESOURCE_EXHAUSTED);
    assert.match(error.details, new RegExp(`${CRI_MAX_RECEIVE_BYTES + 1} bytes is larger than the maximum of ${CRI_MAX_RECEIVE_BYTES} bytes`));
    const serverStream = server.calls[0]?.stream;
    assert.ok(serverStream !== undefined);
    assert.equal(await closedStream(serverStream), NGHTTP2_CANCEL);
  });

  test("compressed response is rejected", async (t) => {
    const server = await startServer(t, (call) => {
      call.stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-encoding": "gzip" }, { waitForTrailers: true });
      call.stream.on("wantTrailers", () => call.stream.sendTrailers({ "grpc-status": "0" }));
      call.stream.end(prefixed(Buffer.from("not really gzip"), 1));
    });
    const transport = transportTo(t, server);

    const error = await grpcErrorOf(transport.unary(PATH, Buffer.from("x"), 5_000));

    assert.equal(error.code, Code.INTERNAL);
    assert.match(error.details, /compressed message/);
  });

  test("wrong number of response messages", async (t) => {
    const server = await startServer(t, (call) => {
      if (call.message.toString() === "none") {
        respondWithTrailers(call, { "grpc-status": "0" });
        return;
      }
      call.stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      call.stream.on("wantTrailers", () => call.stream.sendTrailers({ "grpc-status": "0" }));
      call.stream.end(Buffer.concat([prefixed(Buffer.from("one")), prefixed(Buffer.from("two"))]));
    });
    const transport = transportTo(t, server);

    const none = await grpcErrorOf(transport.unary(PATH, Buffer.from("none"), 5_000));
    const two = await grpcErrorOf(transport.unary(PATH, Buffer.from("two"), 5_000));

    assert.equal(none.code, Code.UNIMPLEMENTED);
    assert.match(none.details, /no message/);
    assert.equal(two.code, Code.UNIMPLEMENTED);
    assert.match(two.details, /more than one message/);
  });

  test("HTTP error status without grpc-status", async (t) => {
    const server = await startServer(t, (call) => call.stream.respond({ ":status": 503, "content-type": "text/plain" }, { endStream: true }));
    const transport = transportTo(t, server);

    const error = await grpcErrorOf(transport.unary(PATH, Buffer.from("x"), 5_000));

    assert.equal(error.code, Code.UNAVAILABLE);
    assert.match(error.details, /HTTP status 503/);
  });

  test("stream reset by the server", async (t) => {
    const server = await startServer(t, (call) => call.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
    const transport = transportTo(t, server);

    const error = await grpcErrorOf(transport.unary(PATH, Buffer.from("x"), 5_000));

    assert.equal(error.code, Code.INTERNAL);
  });
});

describe("GrpcTransport deadlines and connections", { timeout: 20_000 }, () => {
  test("deadline cancels an unanswered call", async (t) => {
    const server = await startServer(t, () => undefined);
    const transport = transportTo(t, server);

    const error = await grpcErrorOf(transport.unary(PATH, Buffer.from("x"), 50));

    assert.equal(error.code, Code.DEADLINE_EXCEEDED);
    assert.match(error.details, /within the deadline of 50 ms/);
    const serverStream = server.calls[0]?.stream;
    assert.ok(serverStream !== undefined, "the request reached the server");
    assert.equal(await closedStream(serverStream), NGHTTP2_CANCEL);
  });

  test("missing socket is UNAVAILABLE with ENOENT", async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), "tinylet-grpc-test-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const socketPath = path.join(dir, "missing.sock");
    const transport = transportTo(t, { socketPath });

    const error = await grpcErrorOf(transport.unary(PATH, Buffer.from("x"), 5_000));

    assert.equal(error.code, Code.UNAVAILABLE);
    assert.match(error.details, /ENOENT/);
    assert.ok(error.details.includes(socketPath), error.details);
  });

  test("server restarted on the same path", async (t) => {
    const first = await startServer(t, (call) => respondOk(call, Buffer.from("first")));
    const transport = transportTo(t, first);
    assert.equal((await transport.unary(PATH, Buffer.from("x"), 5_000)).toString(), "first");

    await first.stop();
    const down = await grpcErrorOf(transport.unary(PATH, Buffer.from("x"), 5_000));
    const second = await startServer(t, (call) => respondOk(call, Buffer.from("second")), { socketPath: first.socketPath });
    const response = await transport.unary(PATH, Buffer.from("x"), 5_000);

    assert.equal(down.code, Code.UNAVAILABLE);
    assert.equal(response.toString(), "second");
    assert.equal(second.sessions.length, 1);
  });

  test("call in flight when the connection breaks", async (t) => {
    const server = await startServer(t, (call) => call.stream.session?.destroy());
    const transport = transportTo(t, server);

    const error = await grpcErrorOf(transport.unary(PATH, Buffer.from("x"), 5_000));

    assert.equal(error.code, Code.UNAVAILABLE);
    assert.match(error.details, /closed while the call was in progress/);
  });

  test("GOAWAY moves later calls to a new session", async (t) => {
    const server = await startServer(t, (call) => {
      respondOk(call, Buffer.from(`session ${server.sessions.indexOf(call.stream.session as Http2Session)}`));
      // Graceful shutdown: this stream finishes, the session takes no more.
      call.stream.session?.goaway(http2.constants.NGHTTP2_NO_ERROR, call.stream.id ?? 0);
    });
    const transport = transportTo(t, server);

    const first = await transport.unary(PATH, Buffer.from("x"), 5_000);
    const second = await transport.unary(PATH, Buffer.from("x"), 5_000);

    assert.equal(first.toString(), "session 0");
    assert.equal(second.toString(), "session 1");
  });

  test("one session serves every call", async (t) => {
    const server = await startServer(t, (call) => respondOk(call, call.message));
    const transport = transportTo(t, server);

    for (let i = 0; i < 5; i++) {
      await transport.unary(PATH, Buffer.from(String(i)), 5_000);
    }

    assert.equal(server.calls.length, 5);
    assert.equal(server.sessions.length, 1);
  });

  test("refused stream is sent again", async (t) => {
    const server = await startServer(t, (call) => {
      if (server.calls.length === 1) {
        call.stream.close(NGHTTP2_REFUSED_STREAM);
        return;
      }
      respondOk(call, Buffer.from("accepted"));
    });
    const transport = transportTo(t, server);

    const response = await transport.unary(PATH, Buffer.from("x"), 5_000);

    assert.equal(response.toString(), "accepted");
    assert.equal(server.calls.length, 2);
  });

  test("50 concurrent calls over a 5-stream limit", async (t) => {
    let active = 0;
    let maxActive = 0;
    const server = await startServer(
      t,
      (call) => {
        active++;
        maxActive = Math.max(maxActive, active);
        call.stream.on("close", () => active--);
        // Respond on a later turn of the event loop, so the calls overlap on the server.
        setImmediate(() => respondOk(call, Buffer.from(`reply ${call.message.toString()}`)));
      },
      { maxConcurrentStreams: 5 },
    );
    const transport = transportTo(t, server);

    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => transport.unary(PATH, Buffer.from(String(i)), 10_000)));

    assert.deepEqual(
      responses.map((response) => response.toString()),
      Array.from({ length: 50 }, (_, i) => `reply ${i}`),
    );
    assert.equal(server.calls.length, 50, "each call reached the server once");
    assert.ok(maxActive <= 5, `the server had ${maxActive} streams at once`);
    assert.equal(server.sessions.length, 1);
  });

  test("close ends the session and later calls fail", async (t) => {
    const server = await startServer(t, (call) => respondOk(call, Buffer.from("ok")));
    const transport = transportTo(t, server);
    await transport.unary(PATH, Buffer.from("x"), 5_000);
    const [session] = server.sessions;
    assert.ok(session !== undefined);
    const sessionClosed = new Promise<void>((resolve) => session.once("close", resolve));

    transport.close();
    await sessionClosed;
    const error = await grpcErrorOf(transport.unary(PATH, Buffer.from("x"), 5_000));

    assert.equal(error.code, Code.UNAVAILABLE);
    assert.match(error.details, /closed/);
  });

  test("TCP target on loopback", async (t) => {
    const server = http2.createServer();
    server.on("stream", (stream) => {
      stream.resume();
      stream.on("end", () => respondOk({ headers: {}, message: Buffer.alloc(0), stream }, Buffer.from("over tcp")));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const transport = new GrpcTransport({ target: { host: "127.0.0.1", port } });
    t.after(() => {
      transport.close();
      server.close();
    });

    const response = await transport.unary(PATH, Buffer.from("x"), 5_000);

    assert.equal(response.toString(), "over tcp");
    assert.equal(transport.address, `127.0.0.1:${port}`);
  });

  test("idle session lets the process exit", async (t) => {
    const server = await startServer(t, (call) => respondOk(call, Buffer.from("ok")));
    const transportModule = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../src/cri/grpc-transport.js");
    // The child makes one call and never closes its transport; it must still exit on its own.
    const script = [
      `const { GrpcTransport } = await import(${JSON.stringify(transportModule)});`,
      `const transport = new GrpcTransport({ target: { socketPath: ${JSON.stringify(server.socketPath)} } });`,
      `const response = await transport.unary("${PATH}", new Uint8Array(0), 5000);`,
      `console.log(response.toString());`,
    ].join("\n");
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const killTimer = setTimeout(() => child.kill("SIGKILL"), 5_000);

    const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.once("exit", (code, sig) => resolve([code, sig])),
    );
    clearTimeout(killTimer);

    assert.equal(signal, null, "the child was killed after 5 s because its idle session kept it alive");
    assert.equal(exitCode, 0);
    assert.equal(output.trim(), "ok");
  });
});

describe("gRPC wire helpers", () => {
  test("grpc-timeout uses at most 8 digits", () => {
    const cases: Array<[number, string]> = [
      [0, "1m"],
      [0.2, "1m"],
      [250, "250m"],
      [99_999_999, "99999999m"],
      [100_000_000, "100000S"],
      [99_999_999_000, "99999999S"],
      [100_000_000_000, "27778H"],
    ];
    for (const [timeoutMs, expected] of cases) {
      assert.equal(encodeTimeout(timeoutMs), expected, `timeout ${timeoutMs} ms`);
    }
  });

  test("grpc-message percent-decoding", () => {
    assert.equal(decodePercentEncoded("plain text"), "plain text");
    assert.equal(decodePercentEncoded("a%20b%0Ac"), "a b\nc");
    assert.equal(decodePercentEncoded("caf%C3%A9"), "café");
    // Invalid encodings come back unchanged instead of failing.
    assert.equal(decodePercentEncoded("50%"), "50%");
    assert.equal(decodePercentEncoded("%zz"), "%zz");
    assert.equal(decodePercentEncoded("%FF"), "%FF");
  });

  test("message reader at every split point", () => {
    const message = Buffer.from("0123456789abcdef");
    const frame = prefixed(message);
    for (let split = 0; split <= frame.length; split++) {
      const reader = new UnaryMessageReader(1_000);
      reader.push(frame.subarray(0, split));
      reader.push(frame.subarray(split));
      assert.deepEqual(reader.finish(), message, `split at byte ${split}`);
    }
  });

  test("message reader rejects truncated responses", () => {
    const frame = prefixed(Buffer.from("0123456789"));
    const cases: Array<[number, RegExp]> = [
      [3, /inside a message prefix, after 3 of 5 bytes/],
      [8, /inside a message, after 3 of 10 bytes/],
    ];
    for (const [length, expected] of cases) {
      const reader = new UnaryMessageReader(1_000);
      reader.push(frame.subarray(0, length));
      assert.throws(() => reader.finish(), (error: unknown) => error instanceof GrpcError && error.code === Code.INTERNAL && expected.test(error.details));
    }
  });
});
