/**
 * Pod lifecycle against the lab's real containerd: CrashLoopBackOff with growing delays, liveness
 * restarts (an exec probe that times out), readiness flipping both ways (exec, httpGet, tcpSocket),
 * lifecycle hooks, and the read-only API and CLI that show it all. One daemon runs every pod of the
 * file at once, so the waits overlap.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { PodList } from "kubernetes-models/v1/PodList";

import { METRIC_NAMES } from "../../src/api/index.js";
import type { ContainerStatus, V1EventList, V1Pod, V1PodList } from "../../src/status/k8s-types.js";
import { IMAGE, requireLab, Runtime, runCli, SOCKET, tempDir, Tinylet, waitFor, writeManifest } from "./harness.js";

/** Returns a Pod manifest with one container named main; `container` contains extra YAML lines at container indentation. */
function manifest(name: string, script: string, container: string[] = [], spec: string[] = []): string {
  return [
    "apiVersion: v1",
    "kind: Pod",
    "metadata:",
    `  name: ${name}`,
    "spec:",
    "  terminationGracePeriodSeconds: 2",
    ...spec.map((line) => `  ${line}`),
    "  containers:",
    "  - name: main",
    `    image: ${IMAGE}`,
    `    command: ["sh", "-c", ${JSON.stringify(script)}]`,
    ...container.map((line) => `    ${line}`),
    "",
  ].join("\n");
}

const MANIFESTS: Record<string, string> = {
  "crash.yaml": manifest("crash", "echo run; exit 1"),
  // The liveness command outlasts timeoutSeconds, so each probe is a timed-out failure.
  "liveness.yaml": manifest("liveness", "exec sleep 3600", [
    "livenessProbe:",
    "  exec: {command: [sh, -c, 'sleep 5']}",
    "  periodSeconds: 2",
    "  timeoutSeconds: 1",
    "  failureThreshold: 2",
    "lifecycle:",
    "  postStart: {exec: {command: [sh, -c, 'echo post-start-ran > /proc/1/fd/1']}}",
    "  preStop: {exec: {command: [sh, -c, 'echo pre-stop-ran > /proc/1/fd/1']}}",
  ]),
  "ready-exec.yaml": manifest("ready-exec", "exec sleep 3600", ["readinessProbe:", "  exec: {command: [cat, /tmp/ready]}", "  periodSeconds: 1", "  failureThreshold: 1"]),
  "web.yaml": manifest("web", "exec httpd -f -p 8080 -h /var/www", [
    "ports: [{name: http, containerPort: 8080}]",
    "readinessProbe:",
    "  httpGet: {port: http, path: /index.html, httpHeaders: [{name: X-Probe, value: e2e}]}",
    "  periodSeconds: 1",
    "  failureThreshold: 1",
  ]),
  "nc.yaml": manifest("nc", "while true; do nc -l -p 9000; done", ["readinessProbe:", "  tcpSocket: {port: 9000}", "  periodSeconds: 1"]),
  "host-web.yaml": manifest(
    "host-web",
    "exec httpd -f -p 127.0.0.1:18391 -h /var/www",
    ["readinessProbe:", "  httpGet: {port: 18391, path: /index.html}", "  periodSeconds: 1"],
    ["hostNetwork: true"],
  ),
};

describe("pod lifecycle on containerd", () => {
  const runtime = new Runtime();
  let manifests: { dir: string; remove: () => Promise<void> };
  let logs: { dir: string; remove: () => Promise<void> };
  let tinylet: Tinylet;
  let api = "";

  const getJson = async <T>(path: string): Promise<T> => {
    const response = await fetch(`http://${api}${path}`);
    assert.equal(response.status, 200, `GET ${path}`);
    return (await response.json()) as T;
  };
  const podNamed = async (name: string): Promise<V1Pod | undefined> =>
    (await getJson<V1PodList>("/pods")).items.find((pod) => pod.metadata.name === name);
  const mainStatus = async (name: string): Promise<ContainerStatus | undefined> => (await podNamed(name))?.status.containerStatuses[0];
  const readyCondition = async (name: string): Promise<string | undefined> =>
    (await podNamed(name))?.status.conditions.find((c) => c.type === "Ready")?.status;
  const exec = async (pod: string, command: string[]): Promise<void> => {
    const { container } = await runtime.waitRunning(pod, "main");
    const result = await runtime.cri.execSync(container.id, command, 5);
    assert.equal(result.exitCode, 0, `${command.join(" ")} in ${pod}`);
  };

  before(async () => {
    requireLab();
    await runtime.removeAllOwned();
    manifests = await tempDir("manifests");
    logs = await tempDir("logs");
    for (const [file, text] of Object.entries(MANIFESTS)) {
      await writeManifest(manifests.dir, file, text);
    }
    tinylet = new Tinylet(manifests.dir, logs.dir, ["--status-addr", "127.0.0.1:0"]);
    const line = await tinylet.waitForLog(/serving status API/);
    api = /addr=(\S+)/.exec(line)?.[1] ?? "";
    assert.match(api, /^127\.0\.0\.1:\d+$/);
  });

  after(async () => {
    await tinylet?.stop();
    await runtime.removeAllOwned();
    runtime.close();
    await manifests?.remove();
    await logs?.remove();
  });

  it("shows CrashLoopBackOff with a longer second delay", async () => {
    let first = 0;
    await waitFor("first back-off of crash", async () => {
      const status = await mainStatus("crash");
      first = backoffSeconds(status, 0);
      return first > 0;
    });
    let second = 0;
    await waitFor(
      "second back-off of crash",
      async () => {
        const status = await mainStatus("crash");
        second = backoffSeconds(status, 1);
        return second > 0;
      },
      45_000,
    );
    assert.equal(first, 10);
    assert.ok(second > first, `second delay ${second}s must be longer than the first ${first}s`);

    const status = await mainStatus("crash");
    assert.equal(status?.lastState.terminated?.exitCode, 1);
    assert.equal(status?.lastState.terminated?.reason, "Error");
    const pod = await podNamed("crash");
    assert.equal(pod?.status.phase, "Running");

    const table = await runCli(["pods", "--status-addr", api, "--socket", SOCKET]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^POD ID\s+NAME\s+NAMESPACE\s+READY\s+STATUS\s+RESTARTS\s+AGE$/m);
    assert.match(table.stdout, /\scrash\s+default\s+0\/1\s+CrashLoopBackOff\s+1 \(\d+s ago\)\s/);
  });

  it("restarts a container whose exec liveness probe times out", async () => {
    // The earlier tests take about as long as a kill and its back-off, so attempt 1 may run already.
    let status: ContainerStatus | undefined;
    await waitFor(
      "a later attempt of liveness/main running",
      async () => {
        status = await mainStatus("liveness");
        return (status?.restartCount ?? 0) >= 1 && status?.state.running !== undefined;
      },
      45_000,
    );
    assert.equal(status?.lastState.terminated?.exitCode, 137, "killed after its grace period, since sleep ignores SIGTERM as PID 1");
    assert.equal(await podCount(runtime, "liveness"), 1, "restarts happen in the same sandbox");

    const events = (await getJson<V1EventList>("/events")).items.filter((event) => event.involvedObject.name === "liveness");
    const unhealthy = events.find((event) => event.reason === "Unhealthy");
    assert.match(unhealthy?.message ?? "", /^Liveness probe failed: command timed out after 1s/);
    const killing = events.find((event) => event.reason === "Killing");
    assert.match(killing?.message ?? "", /failed liveness probe, will be restarted/);

    // The hooks write to the container's own output: postStart in each instance, preStop before the kill.
    await waitFor("postStart output", async () => (await runCli(["logs", "liveness", "--socket", SOCKET])).stdout.includes("post-start-ran"));
    const previous = await runCli(["logs", "liveness", "-p", "--socket", SOCKET]);
    assert.equal(previous.code, 0, previous.stderr);
    assert.match(previous.stdout, /post-start-ran\npre-stop-ran\n/);

    const described = await runCli(["describe", "liveness", "--status-addr", api, "--socket", SOCKET]);
    assert.equal(described.code, 0, described.stderr);
    assert.match(described.stdout, /Liveness:\s+exec \["sh","-c","sleep 5"\] delay=0s timeout=1s period=2s #success=1 #failure=2/);
    assert.match(described.stdout, /Restart Count:\s+[1-9]/);
    assert.match(described.stdout, /Warning\s+Unhealthy\s+/);
    assert.match(described.stdout, /Source: the tinylet daemon's status API at 127\.0\.0\.1:\d+/);
  });

  it("flips Ready both ways with an exec probe against a file", async () => {
    await runtime.waitRunning("ready-exec", "main");
    await waitFor("ready-exec not ready", async () => (await readyCondition("ready-exec")) === "False");
    assert.equal((await mainStatus("ready-exec"))?.ready, false);

    await exec("ready-exec", ["touch", "/tmp/ready"]);
    await waitFor("ready-exec ready", async () => (await readyCondition("ready-exec")) === "True");
    assert.equal((await mainStatus("ready-exec"))?.ready, true);

    await exec("ready-exec", ["rm", "/tmp/ready"]);
    await waitFor("ready-exec not ready again", async () => (await readyCondition("ready-exec")) === "False");
    assert.equal((await mainStatus("ready-exec"))?.restartCount, 0, "readiness never restarts");
  });

  it("flips Ready both ways with an httpGet probe against busybox httpd", async () => {
    await waitFor("web ready", async () => (await readyCondition("web")) === "True");
    await exec("web", ["mv", "/var/www/index.html", "/var/www/away.html"]);
    await waitFor("web not ready on 404", async () => (await readyCondition("web")) === "False");
    await exec("web", ["mv", "/var/www/away.html", "/var/www/index.html"]);
    await waitFor("web ready again", async () => (await readyCondition("web")) === "True");

    const pod = await podNamed("web");
    assert.match(pod?.status.podIP ?? "", /^10\.77\.0\.\d+$/);
  });

  it("becomes Ready through tcpSocket and hostNetwork httpGet probes", async () => {
    await waitFor("nc ready", async () => (await readyCondition("nc")) === "True");
    await waitFor("host-web ready", async () => (await readyCondition("host-web")) === "True");
    const hostPod = await podNamed("host-web");
    assert.equal(hostPod?.status.podIP, hostPod?.status.hostIP);
  });

  it("serves /pods as a valid v1.PodList, the same as pods -o json", async () => {
    const list = await getJson<V1PodList>("/pods");
    checkPodList(list);
    assert.deepEqual(
      list.items.map((pod) => pod.metadata.name),
      ["crash", "host-web", "liveness", "nc", "ready-exec", "web"],
    );

    const cli = await runCli(["pods", "-o", "json", "--status-addr", api, "--socket", SOCKET]);
    assert.equal(cli.code, 0, cli.stderr);
    const fromCli = JSON.parse(cli.stdout) as V1PodList;
    checkPodList(fromCli);
    assert.deepEqual(
      fromCli.items.map((pod) => [pod.metadata.uid, pod.spec["containers"]]),
      list.items.map((pod) => [pod.metadata.uid, pod.spec["containers"]]),
    );
  });

  it("serves /healthz and /metrics", async () => {
    const health = await fetch(`http://${api}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(await health.text(), "ok");

    const metrics = await fetch(`http://${api}/metrics`);
    assert.equal(metrics.status, 200);
    const text = await metrics.text();
    for (const name of METRIC_NAMES) {
      assert.match(text, new RegExp(`^# TYPE ${name} `, "m"), name);
    }
    assert.match(text, /^tinylet_probe_results_total\{probe_type="liveness",result="failure",namespace="default",pod="liveness",container="main"\} [1-9]/m);
    assert.match(text, /^tinylet_cri_call_duration_seconds_count\{method="ListPodSandbox",result="ok"\} [1-9]/m);
    assert.match(text, /^tinylet_pod_start_duration_seconds_count [1-9]/m);
    assert.match(text, /^tinylet_container_restarts_total\{namespace="default",pod="crash",container="main"\} [1-9]/m);

    const refused = await fetch(`http://${api}/pods`, { method: "POST" });
    assert.equal(refused.status, 405);
  });

  it("falls back to the runtime without the API", async () => {
    const cli = await runCli(["describe", "crash", "--status-addr", "", "--socket", SOCKET]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /^Status:\s+Running$/m);
    assert.match(cli.stdout, /Source: the runtime at .*status API is turned off/);

    const table = await runCli(["pods", "--status-addr", "127.0.0.1:1", "--socket", SOCKET]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /\sweb\s+default\s+1\/1\s+Running\s+0\s/);
  });
});

/** Returns the number of sandboxes of a pod. */
async function podCount(runtime: Runtime, name: string): Promise<number> {
  return (await runtime.sandboxes(name)).length;
}

/** Returns the delay in a CrashLoopBackOff message seen at `restartCount`, or 0. */
function backoffSeconds(status: ContainerStatus | undefined, restartCount: number): number {
  if (status?.restartCount !== restartCount || status.state.waiting?.reason !== "CrashLoopBackOff") return 0;
  return Number(/back-off (\d+)s/.exec(status.state.waiting.message ?? "")?.[1] ?? 0);
}

const PHASES = ["Pending", "Running", "Succeeded", "Failed", "Unknown"];
const CONDITIONS = ["PodScheduled", "Initialized", "ContainersReady", "Ready"];

/** Checks a PodList against Kubernetes' schema (kubernetes-models), then the fields tinylet promises. */
function checkPodList(list: V1PodList): void {
  assert.doesNotThrow(() => new PodList(list as never).validate());
  assert.equal(list.kind, "PodList");
  assert.equal(list.apiVersion, "v1");
  assert.ok(Array.isArray(list.items));
  for (const pod of list.items) {
    const where = pod.metadata?.name;
    assert.equal(typeof pod.metadata.name, "string");
    assert.equal(typeof pod.metadata.namespace, "string");
    assert.match(pod.metadata.uid, /^[0-9a-f]{32}$/);
    assert.ok(pod.metadata.creationTimestamp === null || !Number.isNaN(Date.parse(pod.metadata.creationTimestamp)), where);

    const containers = pod.spec["containers"] as { name: unknown; image: unknown }[];
    assert.ok(Array.isArray(containers), where);
    assert.ok(containers.length > 0, where);
    for (const container of containers) {
      assert.equal(typeof container.name, "string", where);
      assert.equal(typeof container.image, "string", where);
    }
    assert.equal(typeof pod.spec["nodeName"], "string", where);

    assert.ok(PHASES.includes(pod.status.phase), where);
    assert.deepEqual(
      pod.status.conditions.map((c) => c.type),
      CONDITIONS,
      where,
    );
    for (const condition of pod.status.conditions) {
      assert.ok(["True", "False", "Unknown"].includes(condition.status), where);
    }
    assert.equal(typeof pod.status.hostIP, "string", where);
    for (const status of pod.status.containerStatuses) {
      assert.equal(typeof status.name, "string", where);
      assert.equal(typeof status.ready, "boolean", where);
      assert.equal(typeof status.restartCount, "number", where);
      assert.equal(typeof status.image, "string", where);
      assert.equal(typeof status.imageID, "string", where);
      assert.equal(Object.keys(status.state).length, 1, `${where}: exactly one state`);
      if (status.containerID !== undefined) assert.match(status.containerID, /^containerd:\/\/[0-9a-f]{64}$/, where);
    }
  }
}
