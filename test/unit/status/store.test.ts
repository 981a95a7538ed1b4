import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { PodList } from "kubernetes-models/v1/PodList";

import type { Pod } from "../../../src/manifest/index.js";
import type { ObservedContainer, ObservedSandbox, ObservedState } from "../../../src/reconcile/observed.js";
import { EventRecorder } from "../../../src/status/events.js";
import { StatusStore } from "../../../src/status/store.js";

const T0 = 1_700_000_000_000;

const POD: Pod = {
  uid: "uid-1",
  name: "web",
  namespace: "default",
  labels: { app: "web" },
  annotations: {},
  restartPolicy: "Always",
  terminationGracePeriodSeconds: 30,
  hostNetwork: false,
  initContainers: [],
  containers: [{ name: "main", image: "busybox", command: [], args: [], env: [{ name: "A", value: "1" }], ports: [] }],
  source: { file: "/m/web.yaml", document: 0, line: 1 },
};

const SANDBOX: ObservedSandbox = {
  id: "sb-1",
  name: "web",
  namespace: "default",
  uid: "uid-1",
  attempt: 0,
  ready: true,
  createdAtMs: T0 + 1_000,
  terminationGracePeriodSeconds: 30,
  manifest: "/m/web.yaml",
};

const RUNNING: ObservedContainer = { id: "c-1", sandboxId: "sb-1", name: "main", attempt: 0, state: "running", image: "busybox", createdAtMs: T0 + 1_500 };

function store(now: { ms: number }, ready: { value: boolean }, latencies: number[]): StatusStore {
  return new StatusStore({
    details: { container: () => undefined, sandbox: () => ({ ips: ["10.77.0.3"] }) },
    events: new EventRecorder(),
    probes: () => ({ started: true, ready: ready.value }),
    hostIPs: ["192.0.2.1"],
    nodeName: "node-a",
    onPodRunning: (_pod, latencyMs) => latencies.push(latencyMs),
    now: () => now.ms,
  });
}

function pass(target: StatusStore, observed: ObservedState, nowMs: number): void {
  target.update({ desired: [POD], observed, backoff: new Map(), nowMs });
}

describe("StatusStore", () => {
  it("reports the time from first seeing a pod to all containers running, once", () => {
    const now = { ms: T0 };
    const latencies: number[] = [];
    const target = store(now, { value: true }, latencies);
    pass(target, { sandboxes: [], containers: [] }, T0);
    pass(target, { sandboxes: [SANDBOX], containers: [RUNNING] }, T0 + 2_500);
    pass(target, { sandboxes: [SANDBOX], containers: [RUNNING] }, T0 + 3_000);
    assert.deepEqual(latencies, [2_500]);
  });

  it("reports no start latency for a pod already running when first seen", () => {
    const latencies: number[] = [];
    const target = store({ ms: T0 }, { value: true }, latencies);
    pass(target, { sandboxes: [SANDBOX], containers: [RUNNING] }, T0);
    assert.deepEqual(latencies, []);
  });

  it("dates each condition from its latest change", () => {
    const now = { ms: T0 };
    const ready = { value: false };
    const target = store(now, ready, []);
    pass(target, { sandboxes: [SANDBOX], containers: [RUNNING] }, T0);

    now.ms = T0 + 30_000;
    const before = target.podList().items[0]?.status.conditions.find((c) => c.type === "Ready");
    assert.equal(before?.status, "False");
    assert.equal(before?.lastTransitionTime, new Date(T0).toISOString().replace(".000Z", "Z"));

    ready.value = true;
    now.ms = T0 + 40_000;
    const after = target.podList().items[0]?.status.conditions.find((c) => c.type === "Ready");
    assert.equal(after?.status, "True");
    assert.equal(after?.lastTransitionTime, new Date(T0 + 40_000).toISOString().replace(".000Z", "Z"));
  });

  it("serves the pod with its spec, node facts and annotations", () => {
    const target = store({ ms: T0 }, { value: true }, []);
    pass(target, { sandboxes: [SANDBOX], containers: [RUNNING] }, T0);
    const list = target.podList();
    assert.equal(list.kind, "PodList");
    const pod = list.items[0];
    assert.equal(pod?.kind, "Pod");
    assert.equal(pod?.metadata.uid, "uid-1");
    assert.deepEqual(pod?.metadata.labels, { app: "web" });
    assert.equal(pod?.metadata.annotations?.["kubernetes.io/config.source"], "file");
    assert.equal(pod?.metadata.annotations?.["tinylet.io/sandbox-id"], "sb-1");
    assert.equal(pod?.spec["nodeName"], "node-a");
    assert.equal(pod?.spec["restartPolicy"], "Always");
    assert.deepEqual(pod?.spec["containers"], [{ name: "main", image: "busybox", command: [], args: [], env: [{ name: "A", value: "1" }], ports: [] }]);
    assert.equal(pod?.spec["initContainers"], undefined);
    assert.equal(pod?.status.podIP, "10.77.0.3");
    assert.equal(pod?.status.startTime, new Date(SANDBOX.createdAtMs).toISOString().replace(".000Z", "Z"));
  });

  it("dates an adopted pod from its sandbox", () => {
    const target = store({ ms: T0 + 3_600_000 }, { value: true }, []);
    pass(target, { sandboxes: [SANDBOX], containers: [RUNNING] }, T0 + 3_600_000);
    const pod = target.podList().items[0];
    const sandboxTime = new Date(SANDBOX.createdAtMs).toISOString().replace(".000Z", "Z");
    assert.equal(pod?.metadata.creationTimestamp, sandboxTime);
    assert.equal(pod?.status.startTime, sandboxTime);
  });

  it("serves a PodList that passes Kubernetes' schema", () => {
    const target = store({ ms: T0 }, { value: false }, []);
    const exitedBefore: ObservedContainer = { ...RUNNING, id: "c-0", attempt: 0, state: "exited", exit: { exitCode: 1, reason: "Error", startedAtMs: T0, finishedAtMs: T0 + 500 } };
    pass(target, { sandboxes: [SANDBOX], containers: [exitedBefore, { ...RUNNING, attempt: 1 }] }, T0 + 1_000);
    const list = target.podList();
    assert.doesNotThrow(() => new PodList(list as never).validate());
    assert.equal(list.items[0]?.status.containerStatuses[0]?.restartCount, 1);
  });

  it("lists nothing before the first pass", () => {
    const target = store({ ms: T0 }, { value: true }, []);
    assert.equal(target.ready, false);
    assert.deepEqual(target.podList().items, []);
  });
});
