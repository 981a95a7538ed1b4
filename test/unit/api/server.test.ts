import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { after, before, describe, it } from "node:test";

import { METRIC_NAMES, Metrics, parseStatusAddress, startApiServer, type ApiServer, type Health } from "../../../src/api/index.js";
import { discardLogger } from "../../../src/log/logger.js";
import type { V1PodList } from "../../../src/status/k8s-types.js";

const POD_LIST: V1PodList = { kind: "PodList", apiVersion: "v1", metadata: {}, items: [] };

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(port: number, method: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request({ host: "127.0.0.1", port, method, path, headers, agent: false }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    outgoing.on("error", reject);
    outgoing.end();
  });
}

describe("status API server", () => {
  let server: ApiServer;
  let health: Health = { ok: true };
  const metrics = new Metrics();

  before(async () => {
    metrics.countRejected();
    metrics.observeCriCall({ method: "ListPodSandbox", durationMs: 3 });
    server = await startApiServer(
      { host: "127.0.0.1", port: 0 },
      {
        log: discardLogger(),
        maxConnections: 3,
        maxHeaderBytes: 1_024,
        source: {
          health: () => health,
          podList: () => POD_LIST,
          eventList: () => ({ kind: "EventList", apiVersion: "v1", metadata: {}, items: [] }),
          metrics: () => metrics.render(),
        },
      },
    );
  });
  after(async () => {
    await server.close();
  });

  it("listens on the loopback address it was given", () => {
    assert.equal(server.address.host, "127.0.0.1");
    assert.ok(server.address.port > 0);
  });

  it("answers /healthz with ok while healthy and 503 with the reason otherwise", async () => {
    health = { ok: true };
    const good = await request(server.address.port, "GET", "/healthz");
    assert.equal(good.status, 200);
    assert.equal(good.body, "ok");

    health = { ok: false, reason: "runtime unreachable: no CRI socket" };
    const bad = await request(server.address.port, "GET", "/healthz");
    assert.equal(bad.status, 503);
    assert.equal(bad.body, "runtime unreachable: no CRI socket\n");
    health = { ok: true };
  });

  it("serves the pod list as JSON, ignoring a query string", async () => {
    const reply = await request(server.address.port, "GET", "/pods?watch=1");
    assert.equal(reply.status, 200);
    assert.equal(reply.headers["content-type"], "application/json");
    assert.deepEqual(JSON.parse(reply.body), POD_LIST);
  });

  it("serves events as an EventList", async () => {
    const reply = await request(server.address.port, "GET", "/events");
    assert.equal(reply.status, 200);
    assert.equal((JSON.parse(reply.body) as { kind: string }).kind, "EventList");
  });

  it("serves Prometheus text with every metric name", async () => {
    const reply = await request(server.address.port, "GET", "/metrics");
    assert.equal(reply.status, 200);
    assert.match(reply.headers["content-type"] ?? "", /^text\/plain/);
    for (const name of METRIC_NAMES) {
      assert.match(reply.body, new RegExp(`^# TYPE ${name} `, "m"), name);
    }
    assert.match(reply.body, /^tinylet_manifests_rejected_total 1$/m);
    assert.match(reply.body, /^tinylet_cri_call_duration_seconds_count\{method="ListPodSandbox",result="ok"\} 1$/m);
  });

  it("answers HEAD without a body", async () => {
    const reply = await request(server.address.port, "HEAD", "/pods");
    assert.equal(reply.status, 200);
    assert.equal(reply.body, "");
  });

  const rejected: { name: string; method: string; path: string; status: number }[] = [
    { name: "an unknown path", method: "GET", path: "/configz", status: 404 },
    { name: "a path below a route", method: "GET", path: "/pods/default/web", status: 404 },
    { name: "POST to /pods", method: "POST", path: "/pods", status: 405 },
    { name: "DELETE to /healthz", method: "DELETE", path: "/healthz", status: 405 },
    { name: "PUT to /metrics", method: "PUT", path: "/metrics", status: 405 },
  ];
  for (const testCase of rejected) {
    it(`rejects ${testCase.name} with ${testCase.status}`, async () => {
      const reply = await request(server.address.port, testCase.method, testCase.path);
      assert.equal(reply.status, testCase.status);
      if (testCase.status === 405) assert.equal(reply.headers["allow"], "GET, HEAD");
    });
  }

  it("rejects request headers over the limit with 431", async () => {
    const reply = await request(server.address.port, "GET", "/pods", { "X-Padding": "a".repeat(4_096) });
    assert.equal(reply.status, 431);
  });

  it("closes connections over the limit at once", async () => {
    const open: net.Socket[] = [];
    try {
      for (let index = 0; index < 3; index++) {
        const socket = net.connect(server.address.port, "127.0.0.1");
        await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
        open.push(socket);
      }
      // Let the server accept the three before the fourth arrives.
      await new Promise((resolve) => setImmediate(resolve));
      const extra = net.connect(server.address.port, "127.0.0.1");
      open.push(extra);
      const closed = await new Promise<boolean>((resolve) => {
        extra.once("close", () => resolve(true));
        extra.once("data", () => resolve(false));
        extra.on("error", () => undefined);
        extra.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
      });
      assert.equal(closed, true, "the fourth connection must be closed without an answer");
    } finally {
      for (const socket of open) socket.destroy();
    }
  });
});

describe("parseStatusAddress", () => {
  const cases: { text: string; expected: { host: string; port: number } | undefined | RegExp }[] = [
    { text: "127.0.0.1:10255", expected: { host: "127.0.0.1", port: 10255 } },
    { text: "[::1]:8080", expected: { host: "::1", port: 8080 } },
    { text: "0.0.0.0:0", expected: { host: "0.0.0.0", port: 0 } },
    { text: "", expected: undefined },
    { text: "localhost:10255", expected: /expected IP:PORT/ },
    { text: "127.0.0.1", expected: /expected IP:PORT/ },
    { text: "127.0.0.1:70000", expected: /port 70000 is out of range/ },
  ];
  for (const { text, expected } of cases) {
    it(`reads ${JSON.stringify(text)}`, () => {
      if (expected instanceof RegExp) assert.throws(() => parseStatusAddress(text), expected);
      else assert.deepEqual(parseStatusAddress(text), expected);
    });
  }
});
