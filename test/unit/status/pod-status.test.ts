import assert from "node:assert/strict";
import { describe, it } from "node:test";

import type { Container, Pod } from "../../../src/manifest/index.js";
import { backoffKey, type BackoffEntry } from "../../../src/reconcile/backoff.js";
import type { ObservedContainer, ObservedSandbox } from "../../../src/reconcile/observed.js";
import type { ContainerDetails, DetailsView } from "../../../src/status/details.js";
import type { PodStatus } from "../../../src/status/k8s-types.js";
import { computePodStatus, type PodStatusInput, type ProbeView, type StartFailure } from "../../../src/status/pod-status.js";

const NOW = 1_700_000_100_000;

function spec(name: string, overrides: Partial<Container> = {}): Container {
  return { name, image: "busybox", command: [], args: [], env: [], ports: [], ...overrides };
}

function basePod(overrides: Partial<Pod> = {}): Pod {
  return {
    uid: "uid-1",
    name: "web",
    namespace: "default",
    labels: {},
    annotations: {},
    restartPolicy: "Always",
    terminationGracePeriodSeconds: 30,
    hostNetwork: false,
    initContainers: [],
    containers: [spec("main")],
    source: { file: "/m/web.yaml", document: 0, line: 1 },
    ...overrides,
  };
}

const SANDBOX: ObservedSandbox = {
  id: "sb-1",
  name: "web",
  namespace: "default",
  uid: "uid-1",
  attempt: 0,
  ready: true,
  createdAtMs: NOW - 60_000,
  terminationGracePeriodSeconds: 30,
  manifest: "/m/web.yaml",
};

function running(name: string, attempt = 0, id = `${name}-${attempt}`): ObservedContainer {
  return { id, sandboxId: "sb-1", name, attempt, state: "running", image: "busybox", createdAtMs: NOW - 30_000 + attempt };
}

function exited(name: string, attempt: number, exitCode: number, id = `${name}-${attempt}`): ObservedContainer {
  return {
    id,
    sandboxId: "sb-1",
    name,
    attempt,
    state: "exited",
    image: "busybox",
    createdAtMs: NOW - 30_000 + attempt,
    exit: { exitCode, reason: exitCode === 0 ? "Completed" : "Error", startedAtMs: NOW - 20_000, finishedAtMs: NOW - 10_000 },
  };
}

const DETAILS: DetailsView = {
  container: (id): ContainerDetails => ({ startedAtMs: NOW - 25_000, imageRef: `sha256:${id}`, message: "" }),
  sandbox: () => ({ ips: ["10.77.0.9"] }),
};

function crashBackoff(name: string, delayMs = 20_000): Map<string, BackoffEntry> {
  return new Map([[backoffKey("uid-1", name), { delayMs, notBeforeMs: NOW + 5_000, failure: `${name}-1`, reason: "CrashLoopBackOff" }]]);
}

function status(overrides: Partial<PodStatusInput> = {}): PodStatus {
  return computePodStatus({
    pod: basePod(),
    sandboxes: [SANDBOX],
    containers: [],
    details: DETAILS,
    backoff: new Map(),
    startFailures: new Map(),
    probes: () => undefined,
    hostIPs: ["192.0.2.10", "fd00::10"],
    runtimeName: "containerd",
    startTimeMs: undefined,
    nowMs: NOW,
    ...overrides,
  });
}

function conditions(result: PodStatus): Record<string, string> {
  return Object.fromEntries(result.conditions.map((c) => [c.type, c.status]));
}

describe("computePodStatus", () => {
  const phaseCases: { name: string; input: Partial<PodStatusInput>; phase: string; state: string; reason?: string }[] = [
    { name: "pending with ContainerCreating before any container", input: {}, phase: "Pending", state: "waiting", reason: "ContainerCreating" },
    { name: "running with a running container", input: { containers: [running("main")] }, phase: "Running", state: "running" },
    {
      name: "CrashLoopBackOff while waiting out a back-off",
      input: { containers: [exited("main", 1, 1)], backoff: crashBackoff("main") },
      phase: "Running",
      state: "waiting",
      reason: "CrashLoopBackOff",
    },
    {
      name: "succeeded when OnFailure and the container exited 0",
      input: { pod: basePod({ restartPolicy: "OnFailure" }), containers: [exited("main", 0, 0)] },
      phase: "Succeeded",
      state: "terminated",
      reason: "Completed",
    },
    {
      name: "failed when Never and the container exited non-zero",
      input: { pod: basePod({ restartPolicy: "Never" }), containers: [exited("main", 0, 2)] },
      phase: "Failed",
      state: "terminated",
      reason: "Error",
    },
    {
      name: "ImagePullBackOff while a failed pull waits",
      input: {
        backoff: new Map([[backoffKey("uid-1", "main"), { delayMs: 10_000, notBeforeMs: NOW + 1_000, failure: "start:0", reason: "ImagePullBackOff" }]]),
        startFailures: new Map<string, StartFailure>([["main", { reason: "ErrImagePull", message: "not found" }]]),
      },
      phase: "Pending",
      state: "waiting",
      reason: "ImagePullBackOff",
    },
    {
      name: "ErrImagePull right after the failure, once the back-off has passed",
      input: { startFailures: new Map<string, StartFailure>([["main", { reason: "ErrImagePull", message: "not found" }]]) },
      phase: "Pending",
      state: "waiting",
      reason: "ErrImagePull",
    },
  ];
  for (const testCase of phaseCases) {
    it(testCase.name, () => {
      const result = status(testCase.input);
      assert.equal(result.phase, testCase.phase);
      const main = result.containerStatuses[0];
      assert.ok(main !== undefined);
      const [state] = Object.keys(main.state);
      assert.equal(state, testCase.state);
      const reason = main.state.waiting?.reason ?? main.state.terminated?.reason;
      assert.equal(reason, testCase.reason);
    });
  }

  it("fills a running container's status", () => {
    const result = status({ containers: [exited("main", 0, 1), running("main", 1)] });
    const main = result.containerStatuses[0];
    assert.deepEqual(main, {
      name: "main",
      state: { running: { startedAt: new Date(NOW - 25_000).toISOString().replace(".000Z", "Z") } },
      lastState: {
        terminated: {
          exitCode: 1,
          reason: "Error",
          startedAt: new Date(NOW - 20_000).toISOString().replace(".000Z", "Z"),
          finishedAt: new Date(NOW - 10_000).toISOString().replace(".000Z", "Z"),
          containerID: "containerd://main-0",
        },
      },
      ready: true,
      restartCount: 1,
      image: "busybox",
      imageID: "sha256:main-1",
      containerID: "containerd://main-1",
      started: true,
    });
    assert.equal(result.podIP, "10.77.0.9");
    assert.deepEqual(result.podIPs, [{ ip: "10.77.0.9" }]);
    assert.equal(result.hostIP, "192.0.2.10");
    assert.equal(result.startTime, new Date(NOW - 60_000).toISOString().replace(".000Z", "Z"));
  });

  it("puts the crashed instance in lastState while it backs off", () => {
    const main = status({ containers: [exited("main", 0, 1), exited("main", 1, 1)], backoff: crashBackoff("main") }).containerStatuses[0];
    assert.equal(main?.restartCount, 1);
    assert.equal(main?.lastState.terminated?.containerID, "containerd://main-1");
    assert.match(main?.state.waiting?.message ?? "", /back-off 20s restarting failed container main/);
    assert.equal(main?.ready, false);
  });

  const readinessCases: { name: string; probe: ProbeView | undefined; ready: boolean; started: boolean }[] = [
    { name: "ready without probes", probe: undefined, ready: true, started: true },
    { name: "not ready while readiness fails", probe: { started: true, ready: false }, ready: false, started: true },
    { name: "neither started nor ready before startup succeeds", probe: { started: false, ready: false }, ready: false, started: false },
  ];
  for (const testCase of readinessCases) {
    it(`is ${testCase.name}`, () => {
      const result = status({ containers: [running("main")], probes: () => testCase.probe });
      assert.equal(result.containerStatuses[0]?.ready, testCase.ready);
      assert.equal(result.containerStatuses[0]?.started, testCase.started);
      assert.equal(conditions(result)["Ready"], testCase.ready ? "True" : "False");
      assert.equal(conditions(result)["ContainersReady"], testCase.ready ? "True" : "False");
    });
  }

  it("names the unready containers in the Ready condition", () => {
    const pod = basePod({ containers: [spec("main"), spec("side")] });
    const result = status({ pod, containers: [running("main"), running("side")], probes: (id) => (id === "side-0" ? { started: true, ready: false } : undefined) });
    const ready = result.conditions.find((c) => c.type === "Ready");
    assert.equal(ready?.status, "False");
    assert.equal(ready?.reason, "ContainersNotReady");
    assert.equal(ready?.message, "containers with unready status: [side]");
    assert.equal(conditions(result)["PodScheduled"], "True");
  });

  it("is pending and not initialized while an init container runs", () => {
    const pod = basePod({ initContainers: [spec("setup")] });
    const result = status({ pod, containers: [running("setup")] });
    assert.equal(result.phase, "Pending");
    assert.equal(conditions(result)["Initialized"], "False");
    assert.equal(result.initContainerStatuses?.[0]?.state.running !== undefined, true);
    assert.equal(result.containerStatuses[0]?.state.waiting?.reason, "PodInitializing");
  });

  it("is initialized once the init container succeeded", () => {
    const pod = basePod({ initContainers: [spec("setup")] });
    const result = status({ pod, containers: [exited("setup", 0, 0), running("main")] });
    assert.equal(result.phase, "Running");
    assert.equal(conditions(result)["Initialized"], "True");
    assert.equal(result.initContainerStatuses?.[0]?.ready, true);
  });

  it("fails the pod when an init container fails under Never", () => {
    const pod = basePod({ restartPolicy: "Never", initContainers: [spec("setup")] });
    assert.equal(status({ pod, containers: [exited("setup", 0, 1)] }).phase, "Failed");
  });

  it("uses the host address as pod IP with hostNetwork", () => {
    const result = status({ pod: basePod({ hostNetwork: true }), containers: [running("main")] });
    assert.equal(result.podIP, "192.0.2.10");
  });

  it("has no pod IP without a ready sandbox", () => {
    const result = status({ sandboxes: [{ ...SANDBOX, ready: false }] });
    assert.equal(result.podIP, undefined);
    assert.equal(result.phase, "Pending");
  });

  it("reports PodCompleted for a finished pod", () => {
    const result = status({ pod: basePod({ restartPolicy: "Never" }), containers: [exited("main", 0, 0)] });
    const ready = result.conditions.find((c) => c.type === "Ready");
    assert.equal(ready?.reason, "PodCompleted");
  });
});
