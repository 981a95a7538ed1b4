/** The probe kinds against servers started in this process on 127.0.0.1, and exec against the fake CRI. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { Server, ServerCredentials, status as GrpcStatus, type sendUnaryData, type ServerUnaryCall } from "@grpc/grpc-js";

import { CriClient } from "../../../src/cri/index.js";
import { PROBE_DEFAULTS, type HTTPGetAction, type Probe } from "../../../src/manifest/index.js";
import { decodeHealthCheckStatus, encodeHealthCheckRequest, runGrpcProbe } from "../../../src/probe/grpc-probe.js";
import { runHttpProbe } from "../../../src/probe/http-probe.js";
import { criProbeRunner, runExecProbe } from "../../../src/probe/index.js";
import { runTcpProbe } from "../../../src/probe/tcp-probe.js";
import { startFakeCri, type FakeCri } from "../../support/fake-cri.js";

const LOOPBACK = "127.0.0.1";

function httpGet(overrides: Partial<HTTPGetAction> = {}): HTTPGetAction {
  return { path: "/healthz", port: 0, scheme: "HTTP", httpHeaders: [], ...overrides };
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  return (server.address() as AddressInfo).port;
}

describe("httpGet probe", () => {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((request, response) => {
    seen.push(request.headers);
    switch (request.url) {
      case "/healthz":
        response.end("ok");
        return;
      case "/moved":
        response.writeHead(302, { Location: "/elsewhere" }).end();
        return;
      case "/slow":
        setTimeout(() => response.end("late"), 1_500).unref();
        return;
      default:
        response.writeHead(500).end("database is down");
    }
  });
  let port = 0;

  before(async () => {
    port = await listen(server);
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it("succeeds on 200", async () => {
    assert.deepEqual(await runHttpProbe(httpGet(), LOOPBACK, port, 1), { result: "success", message: "" });
  });

  it("fails on 500 and keeps the body in the message", async () => {
    const outcome = await runHttpProbe(httpGet({ path: "/broken" }), LOOPBACK, port, 1);
    assert.equal(outcome.result, "failure");
    assert.match(outcome.message, /statuscode: 500: database is down/);
  });

  it("counts a redirect as success", async () => {
    assert.equal((await runHttpProbe(httpGet({ path: "/moved" }), LOOPBACK, port, 1)).result, "success");
  });

  it("fails when the server outlasts timeoutSeconds", async () => {
    const started = performance.now();
    const outcome = await runHttpProbe(httpGet({ path: "/slow" }), LOOPBACK, port, 1);
    assert.equal(outcome.result, "failure");
    assert.match(outcome.message, /timed out after 1s/);
    assert.ok(performance.now() - started < 1_400, "the probe ends at its timeout, not when the server answers");
  });

  it("sends the probe's headers, Host included", async () => {
    seen.length = 0;
    const headers = [
      { name: "X-Probe", value: "yes" },
      { name: "Host", value: "example.test" },
    ];
    await runHttpProbe(httpGet({ httpHeaders: headers }), LOOPBACK, port, 1);
    assert.equal(seen[0]?.["x-probe"], "yes");
    assert.equal(seen[0]?.host, "example.test");
    assert.match(seen[0]?.["user-agent"] ?? "", /probe/);
  });

  it("fails when nothing listens", async () => {
    const closed = net.createServer();
    const freePort = await listen(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const outcome = await runHttpProbe(httpGet(), LOOPBACK, freePort, 1);
    assert.equal(outcome.result, "failure");
    assert.match(outcome.message, /ECONNREFUSED/);
  });

  it("resolves a named port through criProbeRunner", async () => {
    const run = criProbeRunner(new CriClient({ socketPath: "/nonexistent.sock" }));
    const probe: Probe = { ...PROBE_DEFAULTS, httpGet: httpGet({ port: "web" }) };
    const ports = [{ name: "web", containerPort: port, protocol: "TCP" as const }];
    assert.equal((await run(probe, { containerId: "c", podIP: LOOPBACK, ports })).result, "success");
    assert.equal((await run(probe, { containerId: "c", podIP: undefined, ports })).result, "unknown");
  });
});

describe("httpGet probe over HTTPS", () => {
  let dir = "";
  let server: https.Server | undefined;
  let port = 0;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "tinylet-https-"));
    const key = path.join(dir, "key.pem");
    const cert = path.join(dir, "cert.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=probe.test", "-days", "1", "-keyout", key, "-out", cert], {
      stdio: "ignore",
    });
    server = https.createServer({ key: await readFile(key), cert: await readFile(cert) }, (_request, response) => response.end("ok"));
    port = await listen(server);
  });
  after(async () => {
    server?.closeAllConnections();
    server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("accepts a self-signed certificate, as kubelet does", async () => {
    assert.equal((await runHttpProbe(httpGet({ scheme: "HTTPS" }), LOOPBACK, port, 2)).result, "success");
  });
});

describe("tcpSocket probe", () => {
  it("succeeds when the port accepts and fails when it refuses", async () => {
    const server = net.createServer((socket) => socket.end());
    const port = await listen(server);
    assert.deepEqual(await runTcpProbe(LOOPBACK, port, 1), { result: "success", message: "" });
    await new Promise<void>((resolve) => server.close(() => resolve()));

    const outcome = await runTcpProbe(LOOPBACK, port, 1);
    assert.equal(outcome.result, "failure");
    assert.match(outcome.message, new RegExp(`dial tcp 127.0.0.1:${port}: .*ECONNREFUSED`));
  });
});

describe("grpc probe", () => {
  const server = new Server();
  let port = 0;
  /** Serving status by service name; "" is the server as a whole. */
  const statuses = new Map<string, number>([
    ["", 1],
    ["db", 2],
  ]);

  before(async () => {
    server.register(
      "/grpc.health.v1.Health/Check",
      (call: ServerUnaryCall<{ service: string }, number>, callback: sendUnaryData<number>) => {
        const status = statuses.get(call.request.service);
        if (status === undefined) callback({ code: GrpcStatus.NOT_FOUND, details: "unknown service" });
        else callback(null, status);
      },
      (status: number) => Buffer.from(new BinaryWriter().tag(1, 0).int32(status).finish()),
      // An object, not the bare string: grpc-js takes an empty string for a missing message.
      (bytes: Buffer) => {
        const reader = new BinaryReader(bytes);
        let service = "";
        while (reader.pos < reader.len) {
          const [field, wireType] = reader.tag();
          if (field === 1) service = reader.string();
          else reader.skip(wireType);
        }
        return { service };
      },
      "unary",
    );
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${LOOPBACK}:0`, ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
  });
  after(() => server.forceShutdown());

  it("encodes and decodes the health messages", () => {
    assert.deepEqual([...encodeHealthCheckRequest("")], []);
    assert.deepEqual([...encodeHealthCheckRequest("db")], [0x0a, 2, 0x64, 0x62]);
    assert.equal(decodeHealthCheckStatus(new Uint8Array([0x08, 0x01])), 1);
  });

  it("succeeds when SERVING", async () => {
    assert.deepEqual(await runGrpcProbe(LOOPBACK, port, "", 1), { result: "success", message: "" });
  });

  it("fails when NOT_SERVING", async () => {
    const outcome = await runGrpcProbe(LOOPBACK, port, "db", 1);
    assert.equal(outcome.result, "failure");
    assert.match(outcome.message, /NOT_SERVING/);
  });

  it("fails on an error status or no server", async () => {
    assert.equal((await runGrpcProbe(LOOPBACK, port, "missing", 1)).result, "failure");
    const closed = net.createServer();
    const freePort = await listen(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    assert.equal((await runGrpcProbe(LOOPBACK, freePort, "", 1)).result, "failure");
  });
});

describe("exec probe", () => {
  let fake: FakeCri;
  let cri: CriClient;
  let containerId = "";

  before(async () => {
    fake = await startFakeCri({ images: ["busybox"] });
    cri = new CriClient({ socketPath: fake.socketPath, callTimeoutMs: 200 });
    const sandbox = { metadata: { name: "p", namespace: "default", uid: "u", attempt: 0 } };
    const sandboxId = await cri.runPodSandbox(sandbox);
    containerId = await cri.createContainer(sandboxId, { metadata: { name: "main", attempt: 0 }, image: { image: "busybox" } }, sandbox);
    await cri.startContainer(containerId);
  });
  after(async () => {
    cri.close();
    await fake.close();
  });

  it("succeeds on exit code 0", async () => {
    fake.execResult = { stdout: "", stderr: "", exitCode: 0 };
    assert.equal((await runExecProbe(cri, containerId, { command: ["true"] }, 1)).result, "success");
  });

  it("fails on another exit code with the command's output", async () => {
    fake.execResult = { stdout: "not ", stderr: "healthy", exitCode: 3 };
    assert.deepEqual(await runExecProbe(cri, containerId, { command: ["check"] }, 1), { result: "failure", message: "not healthy" });
  });

  it("counts the runtime's timeout as a failure", async () => {
    fake.failNext("ExecSync", GrpcStatus.DEADLINE_EXCEEDED, "failed to exec in container: timeout 1s exceeded: context deadline exceeded");
    const outcome = await runExecProbe(cri, containerId, { command: ["sleep", "5"] }, 1);
    assert.deepEqual(outcome, { result: "failure", message: "command timed out after 1s" });
  });

  it("counts the call's own deadline as a failure", async () => {
    fake.delay("ExecSync", 1_500);
    try {
      const outcome = await runExecProbe(cri, containerId, { command: ["sleep", "5"] }, 1);
      assert.deepEqual(outcome, { result: "failure", message: "command timed out after 1s" });
    } finally {
      fake.delay("ExecSync", 0);
    }
  });

  it("reports other errors as unknown", async () => {
    fake.failNext("ExecSync", GrpcStatus.NOT_FOUND, "container not found");
    assert.equal((await runExecProbe(cri, containerId, { command: ["true"] }, 1)).result, "unknown");
  });
});
