import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { parseManifest, type Container } from "../../../src/manifest/index.js";

/** A Kubernetes Pod whose one container has `extra` (YAML lines at container indentation) added. */
function podWith(...extra: string[]): string {
  return [
    "apiVersion: v1",
    "kind: Pod",
    "metadata:",
    "  name: web",
    "spec:",
    "  containers:",
    "  - name: main",
    "    image: busybox",
    "    ports: [{name: http, containerPort: 8080}]",
    ...extra.map((line) => `    ${line}`),
    "",
  ].join("\n");
}

function container(text: string): Container {
  const result = parseManifest("web.yaml", text);
  assert.deepEqual(
    result.errors.map((error) => error.message),
    [],
  );
  const pod = result.pods[0];
  assert.ok(pod);
  return pod.containers[0] as Container;
}

function errors(text: string): string[] {
  return parseManifest("web.yaml", text).errors.map((error) => error.message);
}

function warnings(text: string): string[] {
  return parseManifest("web.yaml", text).warnings.map((warning) => warning.message);
}

describe("probe fields", () => {
  it("fills Kubernetes' defaults", () => {
    const main = container(podWith("livenessProbe:", "  exec: {command: [cat, /tmp/ok]}"));
    assert.deepEqual(main.livenessProbe, {
      exec: { command: ["cat", "/tmp/ok"] },
      initialDelaySeconds: 0,
      periodSeconds: 10,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 3,
    });
    assert.equal(main.readinessProbe, undefined);
  });

  it("reads httpGet with a named port, headers and HTTPS", () => {
    const main = container(
      podWith(
        "readinessProbe:",
        "  httpGet: {port: http, scheme: HTTPS, host: 127.0.0.1, httpHeaders: [{name: X-Check, value: '1'}]}",
        "  periodSeconds: 2",
        "  successThreshold: 2",
      ),
    );
    assert.deepEqual(main.readinessProbe?.httpGet, {
      path: "/",
      port: "http",
      host: "127.0.0.1",
      scheme: "HTTPS",
      httpHeaders: [{ name: "X-Check", value: "1" }],
    });
    assert.equal(main.readinessProbe?.successThreshold, 2);
    assert.equal(main.readinessProbe?.periodSeconds, 2);
  });

  it("reads tcpSocket, grpc and a probe's own grace period", () => {
    const main = container(
      podWith("startupProbe:", "  tcpSocket: {port: 8080}", "  terminationGracePeriodSeconds: 3", "livenessProbe:", "  grpc: {port: 9090, service: db}"),
    );
    assert.deepEqual(main.startupProbe?.tcpSocket, { port: 8080 });
    assert.equal(main.startupProbe?.terminationGracePeriodSeconds, 3);
    assert.deepEqual(main.livenessProbe?.grpc, { port: 9090, service: "db" });
  });

  it("reads exec lifecycle hooks", () => {
    const main = container(podWith("lifecycle:", "  postStart: {exec: {command: [touch, /ready]}}", "  preStop: {exec: {command: [sleep, '1']}}"));
    assert.deepEqual(main.lifecycle, { postStart: { exec: { command: ["touch", "/ready"] } }, preStop: { exec: { command: ["sleep", "1"] } } });
  });

  it("no longer reports probes and lifecycle as not supported", () => {
    const text = podWith("livenessProbe: {exec: {command: [cat, /ok]}}", "lifecycle: {preStop: {exec: {command: [cat, /ok]}}}");
    assert.deepEqual(warnings(text), []);
  });

  const invalid: { name: string; lines: string[]; message: RegExp }[] = [
    { name: "a probe without an action", lines: ["livenessProbe: {periodSeconds: 5}"], message: /no action; a probe needs exactly one of exec/ },
    {
      name: "a probe with two actions",
      lines: ["livenessProbe: {exec: {command: [cat, /ok]}, tcpSocket: {port: 80}}"],
      message: /2 actions \(exec, tcpSocket\)/,
    },
    { name: "a period of 0", lines: ["readinessProbe: {exec: {command: [cat, /ok]}, periodSeconds: 0}"], message: /0 is too small; expected 1 or more/ },
    { name: "a negative initial delay", lines: ["readinessProbe: {exec: {command: [cat, /ok]}, initialDelaySeconds: -1}"], message: /-1 is too small; expected 0 or more/ },
    {
      name: "successThreshold above 1 on liveness",
      lines: ["livenessProbe: {exec: {command: [cat, /ok]}, successThreshold: 2}"],
      message: /liveness probe's successThreshold must be 1/,
    },
    { name: "a port name no port has", lines: ["readinessProbe: {tcpSocket: {port: admin}}"], message: /no container port is named "admin"; its named ports: http/ },
    { name: "a port out of range", lines: ["readinessProbe: {httpGet: {port: 70000}}"], message: /70000 is out of range/ },
    { name: "an unknown scheme", lines: ["readinessProbe: {httpGet: {port: 80, scheme: FTP}}"], message: /"FTP" is not supported; expected HTTP or HTTPS/ },
    { name: "an empty exec command", lines: ["livenessProbe: {exec: {command: []}}"], message: /required; give the command/ },
    { name: "a grace period on readiness", lines: ["readinessProbe: {exec: {command: [cat, /ok]}, terminationGracePeriodSeconds: 5}"], message: /not allowed on a readiness probe/ },
    { name: "a grpc probe without a port", lines: ["livenessProbe: {grpc: {service: db}}"], message: /required/ },
  ];
  for (const testCase of invalid) {
    it(`rejects ${testCase.name}`, () => {
      const found = errors(podWith(...testCase.lines));
      assert.equal(found.length, 1, found.join("; "));
      assert.match(found[0] ?? "", testCase.message);
    });
  }

  it("warns about a hook kind that does not run", () => {
    const text = podWith("lifecycle: {preStop: {httpGet: {port: 80}}}");
    const main = container(text);
    assert.equal(main.lifecycle, undefined);
    assert.match(warnings(text).join("\n"), /only exec hooks run/);
  });

  it("reports probes in the small format as unknown", () => {
    const text = ["name: web", "containers:", "- name: main", "  image: busybox", "  livenessProbe: {exec: {command: [cat, /ok]}}", ""].join("\n");
    const result = parseManifest("web.yaml", text);
    assert.equal(result.pods[0]?.containers[0]?.livenessProbe, undefined);
    assert.match(result.warnings.map((w) => w.message).join("\n"), /unknown field; a small-format container/);
  });
});
