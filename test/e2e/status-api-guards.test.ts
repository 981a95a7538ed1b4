/**
 * The daemon's read-only status API as an attacker on the host would see it: it listens on
 * loopback by default, and rejects other methods than GET and HEAD, oversized requests and
 * connections beyond its cap, while the daemon stays healthy. All traffic goes to 127.0.0.1.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import http from "node:http";
import net from "node:net";
import { promisify } from "node:util";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";

import { podManifest, requireLab, Runtime, tempDir, Tinylet, waitFor, writeManifest } from "./harness.js";

const run = promisify(execFile);

/** Connections the API accepts at once; see ApiServerOptions.maxConnections. */
const MAX_CONNECTIONS = 64;

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Sends one request to 127.0.0.1:`port` and resolves with the reply. */
function request(port: number, method: string, path: string, options: { headers?: Record<string, string>; body?: Buffer } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request({ host: "127.0.0.1", port, method, path, headers: options.headers, agent: false }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    // The server may answer and close before the whole body is sent; a reply that still arrives counts.
    outgoing.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE" && error.code !== "ECONNRESET") reject(error);
      else setTimeout(() => reject(error), 2_000).unref();
    });
    outgoing.end(options.body);
  });
}

/** Returns the port of the status API from the daemon's start-up log line. */
async function apiPort(tinylet: Tinylet): Promise<number> {
  const line = await tinylet.waitForLog(/serving status API addr=/);
  return Number(/addr=\S+:(\d+)/.exec(line)?.[1]);
}

describe("status API guards", () => {
  const runtime = new Runtime();
  let manifests: { dir: string; remove: () => Promise<void> };
  let logs: { dir: string; remove: () => Promise<void> };
  let tinylet: Tinylet | undefined;

  before(async () => {
    requireLab();
    await runtime.removeAllOwned();
  });

  after(async () => {
    await runtime.removeAllOwned();
    runtime.close();
  });

  beforeEach(async () => {
    manifests = await tempDir("manifests");
    logs = await tempDir("logs");
    await writeManifest(manifests.dir, "web.yaml", podManifest("web", "exec sleep 3600", { grace: 1 }));
  });

  afterEach(async () => {
    await tinylet?.stop();
    tinylet = undefined;
    await runtime.removeAllOwned();
    await manifests.remove();
    await logs.remove();
  });

  it("listens only on loopback by default", async () => {
    tinylet = new Tinylet(manifests.dir, logs.dir);
    const line = await tinylet.waitForLog(/serving status API addr=/);
    assert.match(line, /addr=127\.0\.0\.1:10255(\s|$)/);

    // Every TCP socket the daemon listens on, as the kernel reports it.
    const { stdout } = await run("ss", ["-Hltnp"]);
    const own = stdout.split("\n").filter((row) => row.includes(`pid=${tinylet!.pid},`));
    assert.ok(own.length > 0, `no listening socket of pid ${tinylet.pid} in:\n${stdout}`);
    for (const row of own) {
      assert.match(row, /\s127\.0\.0\.1:\d+\s/, `listens beyond loopback: ${row}`);
    }
  });

  it("rejects every method but GET and HEAD", async () => {
    tinylet = new Tinylet(manifests.dir, logs.dir, ["--status-addr", "127.0.0.1:0"]);
    const port = await apiPort(tinylet);
    const { sandbox } = await runtime.waitRunning("web", "main");

    for (const path of ["/healthz", "/pods", "/events", "/metrics"]) {
      for (const method of ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"]) {
        const reply = await request(port, method, path, { headers: { "Content-Type": "application/json" }, body: Buffer.from("{}") });
        assert.equal(reply.status, 405, `${method} ${path}`);
        assert.equal(reply.headers["allow"], "GET, HEAD", `${method} ${path}`);
      }
    }
    const get = await request(port, "GET", "/pods");
    assert.equal(get.status, 200);
    assert.equal((JSON.parse(get.body) as { items: unknown[] }).items.length, 1);

    const after = await runtime.waitRunning("web", "main");
    assert.equal(after.sandbox.id, sandbox.id, "no request changed the pod");
  });

  it("rejects oversized requests and stays healthy", async () => {
    tinylet = new Tinylet(manifests.dir, logs.dir, ["--status-addr", "127.0.0.1:0"]);
    const port = await apiPort(tinylet);
    await runtime.waitRunning("web", "main");

    const bigHeader = await request(port, "GET", "/pods", { headers: { "X-Padding": "x".repeat(64 * 1024) } });
    assert.equal(bigHeader.status, 431);

    const longPath = await request(port, "GET", "/pods?" + "q".repeat(64 * 1024));
    assert.equal(longPath.status, 431);

    const bigBody = await request(port, "POST", "/pods", { body: Buffer.alloc(16 * 1024 * 1024, 0x61) });
    assert.equal(bigBody.status, 405);

    const health = await request(port, "GET", "/healthz");
    assert.equal(health.status, 200);
    assert.equal(health.body, "ok");
  });

  it("closes connections beyond its cap", async () => {
    tinylet = new Tinylet(manifests.dir, logs.dir, ["--status-addr", "127.0.0.1:0"]);
    const port = await apiPort(tinylet);
    const held: net.Socket[] = [];
    try {
      for (let i = 0; i < MAX_CONNECTIONS; i++) {
        const socket = net.connect(port, "127.0.0.1");
        await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
        held.push(socket);
      }

      // One more is accepted by the kernel, then closed by the server without a reply.
      const extra = net.connect(port, "127.0.0.1");
      let closed = false;
      let received = "";
      extra.on("data", (chunk: Buffer) => (received += chunk.toString("utf8")));
      extra.on("error", () => undefined);
      extra.on("close", () => (closed = true));
      extra.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      await waitFor("the connection over the cap to close", () => closed, 10_000);
      assert.equal(received, "");
    } finally {
      for (const socket of held) socket.destroy();
    }

    await waitFor("the API to accept requests again", async () => (await request(port, "GET", "/healthz").catch(() => undefined))?.status === 200, 10_000);
  });
});
