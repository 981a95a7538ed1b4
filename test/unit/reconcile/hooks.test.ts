/** Lifecycle hooks and probe kills in the executor, against the fake CRI. */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";

import { status as GrpcStatus } from "@grpc/grpc-js";

import { CriClient, ExecSyncRequestSchema, StopContainerRequestSchema } from "../../../src/cri/index.js";
import { discardLogger } from "../../../src/log/logger.js";
import type { Pod } from "../../../src/manifest/index.js";
import type { BackoffEntry } from "../../../src/reconcile/backoff.js";
import { Executor } from "../../../src/reconcile/executor.js";
import { PRE_STOP_ANNOTATION } from "../../../src/reconcile/labels.js";
import { observeContainer } from "../../../src/reconcile/observed.js";
import { emptyPlan, type PodPlan } from "../../../src/reconcile/plan.js";
import type { EventInput } from "../../../src/status/events.js";
import { startFakeCri, type FakeCri } from "../../support/fake-cri.js";

const IMAGE = "registry.example/busybox:1.36";

function hookPod(overrides: Partial<Pod> = {}): Pod {
  return {
    uid: "uid-hooks",
    name: "hooks",
    namespace: "default",
    labels: {},
    annotations: {},
    restartPolicy: "Always",
    terminationGracePeriodSeconds: 7,
    hostNetwork: false,
    initContainers: [],
    containers: [
      {
        name: "main",
        image: IMAGE,
        command: ["sleep", "3600"],
        args: [],
        env: [],
        ports: [],
        lifecycle: { postStart: { exec: { command: ["touch", "/started"] } }, preStop: { exec: { command: ["drain"] } } },
      },
    ],
    source: { file: "/m/hooks.yaml", document: 0, line: 1 },
    ...overrides,
  };
}

function hookPlan(pod: Pod | undefined): PodPlan {
  return emptyPlan("default/hooks", pod);
}

describe("executor lifecycle hooks", () => {
  let fake: FakeCri;
  let cri: CriClient;
  let logRoot: string;
  let events: EventInput[];
  let executor: Executor;
  const backoff = new Map<string, BackoffEntry>();

  before(async () => {
    fake = await startFakeCri({ images: [IMAGE] });
    cri = new CriClient({ socketPath: fake.socketPath });
    logRoot = await mkdtemp(path.join(tmpdir(), "tinylet-hooks-"));
  });
  after(async () => {
    cri.close();
    await fake.close();
    await rm(logRoot, { recursive: true, force: true });
  });
  beforeEach(() => {
    events = [];
    fake.execResult = { stdout: "", stderr: "", exitCode: 0 };
    executor = new Executor({
      cri,
      podLogRoot: logRoot,
      recordBackoff: (key, entry) => backoff.set(key, entry),
      readBackoff: (key) => backoff.get(key),
      events: { record: (_pod, event) => events.push(event) },
    });
  });

  /** Creates the pod's sandbox and starts main through the executor; returns the container ID. */
  async function start(pod: Pod): Promise<{ sandboxId: string; containerId: string }> {
    const plan = { ...hookPlan(pod), createSandbox: { attempt: 0 }, startContainers: [{ name: "main", attempt: 0, reason: "SandboxCreated" as const }] };
    const result = await executor.execute(plan, discardLogger());
    assert.equal(result.failures, 0);
    const container = fake.containers().find((c) => c.metadata.name === "main" && c.labels["io.kubernetes.pod.uid"] === pod.uid);
    assert.ok(container !== undefined);
    return { sandboxId: container.sandboxId, containerId: container.id };
  }

  it("runs postStart after the start and records the pod's events", async () => {
    fake.clearCalls();
    const { containerId } = await start(hookPod({ uid: "uid-post" }));
    const execs = fake.requests(ExecSyncRequestSchema);
    assert.deepEqual(
      execs.map((request) => [request.containerId, request.cmd]),
      [[containerId, ["touch", "/started"]]],
    );
    const methods = fake.calls.map((call) => call.method);
    assert.ok(methods.indexOf("StartContainer") < methods.indexOf("ExecSync"), "postStart runs after StartContainer");
    assert.deepEqual(
      events.map((event) => event.reason),
      ["Pulled", "Created", "Started"],
    );
    assert.match(events[0]?.message ?? "", /already present on machine/);
  });

  it("stores the preStop hook on the container", async () => {
    await start(hookPod({ uid: "uid-annotation" }));
    const container = (await cri.listContainers({ "io.kubernetes.pod.uid": "uid-annotation" }))[0];
    assert.deepEqual(JSON.parse(container?.annotations[PRE_STOP_ANNOTATION] ?? "null"), { exec: { command: ["drain"] } });
  });

  it("stops the container when postStart fails", async () => {
    fake.execResult = { stdout: "", stderr: "no such file", exitCode: 1 };
    fake.clearCalls();
    const { containerId } = await start(hookPod({ uid: "uid-post-fail" }));
    const stops = fake.requests(StopContainerRequestSchema);
    assert.deepEqual(
      stops.map((request) => request.containerId),
      [containerId],
    );
    assert.ok(events.some((event) => event.reason === "FailedPostStartHook" && /no such file/.test(event.message)));
    assert.equal(fake.containers().find((c) => c.id === containerId)?.state, 2, "the container exited");
  });

  it("runs preStop before stopping a container that failed its liveness probe", async () => {
    const pod = hookPod({ uid: "uid-live" });
    const { containerId } = await start(pod);
    fake.clearCalls();
    events = [];

    const plan = {
      ...hookPlan(pod),
      killContainers: [{ containerId, name: "main", reason: "LivenessProbeFailed" as const, message: "container main failed liveness probe, will be restarted", gracePeriodSeconds: 7 }],
    };
    const result = await executor.execute(plan, discardLogger());
    assert.equal(result.failures, 0);

    assert.deepEqual(
      fake.calls.map((call) => call.method),
      ["ExecSync", "StopContainer"],
    );
    assert.deepEqual(fake.requests(ExecSyncRequestSchema)[0]?.cmd, ["drain"]);
    const timeout = Number(fake.requests(StopContainerRequestSchema)[0]?.timeout);
    assert.ok(timeout >= 2, `StopContainer gets at least 2 s after the hook, got ${timeout}`);
    assert.ok(timeout <= 7, `StopContainer gets what is left of the 7 s grace period, got ${timeout}`);
    assert.deepEqual(events.map((event) => [event.reason, event.message]), [["Killing", "container main failed liveness probe, will be restarted"]]);
    assert.equal(fake.containers().some((c) => c.id === containerId), true, "the instance stays for the restart count");
  });

  it("runs the stored preStop hook when the pod's manifest is gone", async () => {
    const pod = hookPod({ uid: "uid-gone" });
    const { sandboxId } = await start(pod);
    fake.clearCalls();
    fake.failNext("ExecSync", GrpcStatus.UNKNOWN, "drain: not found");

    // The manifest is gone, so the hook comes from the container's annotation, as a pass lists it.
    const running = (await cri.listContainers({}, sandboxId)).map((container) => observeContainer(container));
    fake.clearCalls();
    const plan = {
      ...hookPlan(undefined),
      killSandboxes: [
        { sandboxId, name: "hooks", namespace: "default", podUID: "uid-gone", reason: "PodRemoved" as const, message: "manifest removed", gracePeriodSeconds: 5, removeLogs: true, running },
      ],
    };
    const result = await executor.execute(plan, discardLogger());
    assert.equal(result.failures, 0);
    const methods = fake.calls.map((call) => call.method);
    assert.deepEqual(methods.slice(0, 2), ["ExecSync", "StopContainer"]);
    assert.ok(events.some((event) => event.reason === "FailedPreStopHook"), "a failed hook is reported and the stop goes on");
    assert.equal(fake.sandboxes().some((s) => s.id === sandboxId), false);
  });
});
