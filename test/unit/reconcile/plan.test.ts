import assert from "node:assert/strict";
import { describe, it } from "node:test";

import type { Pod } from "../../../src/manifest/index.js";
import { INITIAL_BACKOFF_MS, MAX_BACKOFF_MS, backoffKey, type BackoffEntry } from "../../../src/reconcile/backoff.js";
import type { ObservedContainer, ObservedSandbox, ObservedState } from "../../../src/reconcile/observed.js";
import { computePlan, hasWork, shouldRestart, type PodPlan, type UnhealthyInstance } from "../../../src/reconcile/plan.js";

const NOW = 1_700_000_000_000;

function basePod(overrides: Partial<Pod> = {}): Pod {
  return {
    name: "web",
    namespace: "default",
    uid: "uid-v1",
    labels: {},
    annotations: {},
    restartPolicy: "Always",
    terminationGracePeriodSeconds: 30,
    hostNetwork: false,
    initContainers: [],
    containers: [{ name: "main", image: "busybox", command: ["sleep", "3600"], args: [], env: [], ports: [] }],
    source: { file: "/m/web.yaml", document: 0, line: 1 },
    ...overrides,
  };
}

function sandbox(overrides: Partial<ObservedSandbox> = {}): ObservedSandbox {
  return {
    id: "sb-1",
    name: "web",
    namespace: "default",
    uid: "uid-v1",
    attempt: 0,
    ready: true,
    createdAtMs: NOW - 60_000,
    terminationGracePeriodSeconds: 30,
    manifest: "/m/web.yaml",
    ...overrides,
  };
}

function container(overrides: Partial<ObservedContainer> = {}): ObservedContainer {
  return {
    id: "c-1",
    sandboxId: "sb-1",
    name: "main",
    attempt: 0,
    state: "running",
    image: "busybox",
    createdAtMs: NOW - 50_000,
    ...overrides,
  };
}

function exited(exitCode: number, finishedAtMs: number, overrides: Partial<ObservedContainer> = {}): ObservedContainer {
  return container({
    state: "exited",
    exit: { exitCode, reason: exitCode === 0 ? "Completed" : "Error", startedAtMs: finishedAtMs - 1_000, finishedAtMs },
    ...overrides,
  });
}

function planFor(
  desired: Pod[],
  observed: ObservedState,
  backoff: ReadonlyMap<string, BackoffEntry> = new Map(),
  now = NOW,
  unhealthy: ReadonlyMap<string, UnhealthyInstance> = new Map(),
): PodPlan {
  const plans = computePlan(desired, observed, backoff, now, unhealthy);
  assert.equal(plans.length, 1, "expected exactly one pod in the plan");
  return plans[0] as PodPlan;
}

/** A short, comparable summary of a plan's steps. */
function steps(plan: PodPlan): string[] {
  return [
    ...plan.killSandboxes.map((k) => `kill ${k.sandboxId} ${k.reason}${k.removeLogs ? " +logs" : ""}`),
    ...plan.removeContainers.map((r) => `remove ${r.containerId} ${r.reason}`),
    ...(plan.createSandbox ? [`create-sandbox attempt=${plan.createSandbox.attempt}`] : []),
    ...plan.startContainers.map((s) => `start ${s.name} attempt=${s.attempt} ${s.reason}`),
    ...plan.waiting.map((w) => `wait ${w.name} ${w.reason} in=${w.retryAtMs - NOW}`),
  ];
}

describe("computePlan", () => {
  const cases: { name: string; desired: Pod[]; observed: ObservedState; backoff?: Map<string, BackoffEntry>; expected: string[] }[] = [
    {
      name: "creates a sandbox and starts every container of a new pod",
      desired: [basePod({ containers: [...basePod().containers, { ...basePod().containers[0]!, name: "side" }] })],
      observed: { sandboxes: [], containers: [] },
      expected: ["create-sandbox attempt=0", "start main attempt=0 SandboxCreated", "start side attempt=0 SandboxCreated"],
    },
    {
      name: "does nothing for a running pod that matches",
      desired: [basePod()],
      observed: { sandboxes: [sandbox()], containers: [container()] },
      expected: [],
    },
    {
      name: "tears down a pod whose manifest was deleted",
      desired: [],
      observed: { sandboxes: [sandbox()], containers: [container()] },
      expected: ["kill sb-1 PodRemoved +logs"],
    },
    {
      name: "replaces a pod whose definition changed",
      desired: [basePod({ uid: "uid-v2" })],
      observed: { sandboxes: [sandbox()], containers: [container()] },
      expected: ["kill sb-1 PodChanged +logs", "create-sandbox attempt=0", "start main attempt=0 SandboxCreated"],
    },
    {
      name: "recreates a sandbox that is not ready, continuing attempts",
      desired: [basePod()],
      observed: { sandboxes: [sandbox({ ready: false, attempt: 2 })], containers: [exited(137, NOW - 5_000, { attempt: 3 })] },
      expected: ["kill sb-1 SandboxNotReady", "create-sandbox attempt=3", "start main attempt=4 SandboxCreated"],
    },
    {
      name: "keeps the newest of two ready sandboxes",
      desired: [basePod()],
      observed: {
        sandboxes: [sandbox({ id: "sb-old", createdAtMs: NOW - 90_000 }), sandbox({ id: "sb-new", createdAtMs: NOW - 10_000 })],
        containers: [container({ sandboxId: "sb-new" })],
      },
      expected: ["kill sb-old DuplicateSandbox"],
    },
    {
      name: "starts a container missing from a ready sandbox",
      desired: [basePod()],
      observed: { sandboxes: [sandbox()], containers: [] },
      expected: ["start main attempt=0 NotStarted"],
    },
    {
      name: "replaces a container created but never started",
      desired: [basePod()],
      observed: { sandboxes: [sandbox()], containers: [container({ state: "created", attempt: 1 })] },
      expected: ["remove c-1 NeverStarted", "start main attempt=2 NeverStarted"],
    },
    {
      name: "replaces a container in unknown state",
      desired: [basePod()],
      observed: { sandboxes: [sandbox()], containers: [container({ state: "unknown" })] },
      expected: ["remove c-1 UnknownState", "start main attempt=1 UnknownState"],
    },
    {
      name: "waits out the first back-off after a container exits",
      desired: [basePod()],
      observed: { sandboxes: [sandbox()], containers: [exited(1, NOW - 1_000)] },
      expected: [`wait main CrashLoopBackOff in=${INITIAL_BACKOFF_MS - 1_000}`],
    },
    {
      name: "restarts an exited container once its back-off has passed",
      desired: [basePod()],
      observed: { sandboxes: [sandbox()], containers: [exited(1, NOW - INITIAL_BACKOFF_MS - 1)] },
      expected: ["start main attempt=1 Exited"],
    },
    {
      name: "doubles the delay for a container that exits again",
      desired: [basePod()],
      observed: { sandboxes: [sandbox()], containers: [exited(1, NOW - 15_000, { id: "c-2", attempt: 1 })] },
      backoff: new Map([[backoffKey("uid-v1", "main"), { delayMs: 10_000, notBeforeMs: NOW - 40_000, failure: "c-1", reason: "CrashLoopBackOff" }]]),
      expected: [`wait main CrashLoopBackOff in=${20_000 - 15_000}`],
    },
    {
      name: "caps the delay at five minutes",
      desired: [basePod()],
      observed: { sandboxes: [sandbox()], containers: [exited(1, NOW - 1_000, { id: "c-9", attempt: 9 })] },
      backoff: new Map([[backoffKey("uid-v1", "main"), { delayMs: MAX_BACKOFF_MS, notBeforeMs: NOW - 400_000, failure: "c-8", reason: "CrashLoopBackOff" }]]),
      expected: [`wait main CrashLoopBackOff in=${MAX_BACKOFF_MS - 1_000}`],
    },
    {
      name: "resets the delay after a container ran ten minutes",
      desired: [basePod()],
      observed: {
        sandboxes: [sandbox()],
        containers: [container({ id: "c-9", attempt: 9, state: "exited", exit: { exitCode: 1, reason: "Error", startedAtMs: NOW - 700_000, finishedAtMs: NOW - 1_000 } })],
      },
      backoff: new Map([[backoffKey("uid-v1", "main"), { delayMs: MAX_BACKOFF_MS, notBeforeMs: NOW - 800_000, failure: "c-8", reason: "CrashLoopBackOff" }]]),
      expected: [`wait main CrashLoopBackOff in=${INITIAL_BACKOFF_MS - 1_000}`],
    },
    {
      name: "waits after a failed image pull",
      desired: [basePod()],
      observed: { sandboxes: [sandbox()], containers: [] },
      backoff: new Map([[backoffKey("uid-v1", "main"), { delayMs: 10_000, notBeforeMs: NOW + 4_000, failure: "start:0", reason: "ImagePullBackOff" }]]),
      expected: ["wait main ImagePullBackOff in=4000"],
    },
    {
      name: "does not restart a container that succeeded under OnFailure",
      desired: [basePod({ restartPolicy: "OnFailure" })],
      observed: { sandboxes: [sandbox()], containers: [exited(0, NOW - 60_000)] },
      expected: [],
    },
    {
      name: "restarts a failed container under OnFailure",
      desired: [basePod({ restartPolicy: "OnFailure" })],
      observed: { sandboxes: [sandbox()], containers: [exited(2, NOW - 60_000)] },
      expected: ["start main attempt=1 Exited"],
    },
    {
      name: "never restarts under Never",
      desired: [basePod({ restartPolicy: "Never" })],
      observed: { sandboxes: [sandbox()], containers: [exited(1, NOW - 60_000)] },
      expected: [],
    },
    {
      name: "leaves a finished pod's stopped sandbox alone",
      desired: [basePod({ restartPolicy: "Never" })],
      observed: { sandboxes: [sandbox({ ready: false })], containers: [exited(0, NOW - 60_000)] },
      expected: [],
    },
    {
      name: "keeps the current and previous instances and removes older ones",
      desired: [basePod()],
      observed: {
        sandboxes: [sandbox()],
        containers: [
          exited(1, NOW - 90_000, { id: "c-0", attempt: 0 }),
          exited(1, NOW - 60_000, { id: "c-1", attempt: 1 }),
          container({ id: "c-2", attempt: 2 }),
        ],
      },
      expected: ["remove c-0 OldInstance"],
    },
  ];

  const init = (name: string) => ({ ...basePod().containers[0]!, name, command: ["true"] });
  const withInits = basePod({ initContainers: [init("init-a"), init("init-b")] });
  cases.push(
    {
      name: "starts only the first init container in a new sandbox",
      desired: [withInits],
      observed: { sandboxes: [], containers: [] },
      expected: ["create-sandbox attempt=0", "start init-a attempt=0 SandboxCreated"],
    },
    {
      name: "waits for a running init container",
      desired: [withInits],
      observed: { sandboxes: [sandbox()], containers: [container({ id: "i-a", name: "init-a" })] },
      expected: [],
    },
    {
      name: "starts the next init container after one succeeds",
      desired: [withInits],
      observed: { sandboxes: [sandbox()], containers: [exited(0, NOW - 1_000, { id: "i-a", name: "init-a" })] },
      expected: ["start init-b attempt=0 NotStarted"],
    },
    {
      name: "starts the containers once every init container succeeded",
      desired: [withInits],
      observed: {
        sandboxes: [sandbox()],
        containers: [exited(0, NOW - 2_000, { id: "i-a", name: "init-a" }), exited(0, NOW - 1_000, { id: "i-b", name: "init-b" })],
      },
      expected: ["start main attempt=0 NotStarted"],
    },
    {
      name: "retries a failed init container after its back-off, even under Always",
      desired: [withInits],
      observed: { sandboxes: [sandbox()], containers: [exited(1, NOW - INITIAL_BACKOFF_MS - 1, { id: "i-a", name: "init-a" })] },
      expected: ["start init-a attempt=1 Exited"],
    },
    {
      name: "gives up on a failed init container under Never",
      desired: [{ ...withInits, restartPolicy: "Never" }],
      observed: { sandboxes: [sandbox()], containers: [exited(1, NOW - 60_000, { id: "i-a", name: "init-a" })] },
      expected: [],
    },
    {
      name: "does not run init containers again beside running containers",
      desired: [withInits],
      observed: { sandboxes: [sandbox()], containers: [container({ id: "c-1" })] },
      expected: [],
    },
  );

  for (const testCase of cases) {
    it(testCase.name, () => {
      const plan = planFor(testCase.desired, testCase.observed, testCase.backoff);
      assert.deepEqual(steps(plan), testCase.expected);
    });
  }

  it("plans each pod of several independently", () => {
    const other = basePod({ name: "api", uid: "uid-api" });
    const plans = computePlan([basePod(), other], { sandboxes: [sandbox()], containers: [container()] }, new Map(), NOW);
    assert.deepEqual(
      plans.map((plan) => [plan.key, hasWork(plan)]),
      [
        ["default/api", true],
        ["default/web", false],
      ],
    );
  });

  it("records the back-off of a new exit for the controller to keep", () => {
    const plan = planFor([basePod()], { sandboxes: [sandbox()], containers: [exited(1, NOW - 1_000)] });
    const entry = plan.backoffUpdates.get(backoffKey("uid-v1", "main"));
    assert.equal(entry?.failure, "c-1");
    assert.equal(entry?.delayMs, INITIAL_BACKOFF_MS);
    assert.equal(entry?.notBeforeMs, NOW - 1_000 + INITIAL_BACKOFF_MS);
  });

  it("stops an old pod version with the grace period it started with", () => {
    const changed = planFor([basePod({ uid: "uid-v2", terminationGracePeriodSeconds: 5 })], {
      sandboxes: [sandbox({ terminationGracePeriodSeconds: 7 })],
      containers: [],
    });
    assert.equal(changed.killSandboxes[0]?.gracePeriodSeconds, 7);

    const removed = planFor([], { sandboxes: [sandbox({ terminationGracePeriodSeconds: 3 })], containers: [] });
    assert.equal(removed.killSandboxes[0]?.gracePeriodSeconds, 3);
  });

  it("kill carries listed running containers", () => {
    const running = container({ id: "c-run", preStop: '{"exec":{"command":["drain"]}}' });
    const plan = planFor([], {
      sandboxes: [sandbox(), sandbox({ id: "sb-2", createdAtMs: NOW - 10_000 })],
      containers: [running, exited(0, NOW - 1_000, { id: "c-done", name: "init" }), container({ id: "c-other", sandboxId: "sb-2" })],
    });
    const runningBySandbox = plan.killSandboxes.map((kill) => [kill.sandboxId, kill.running.map((c) => c.id)]);
    assert.deepEqual(runningBySandbox, [
      ["sb-1", ["c-run"]],
      ["sb-2", ["c-other"]],
    ]);
    assert.equal(plan.killSandboxes[0]?.running[0]?.preStop, running.preStop);
  });
});

describe("shouldRestart", () => {
  const table: [Pod["restartPolicy"], number, boolean][] = [
    ["Always", 0, true],
    ["Always", 1, true],
    ["OnFailure", 0, false],
    ["OnFailure", 137, true],
    ["Never", 0, false],
    ["Never", 1, false],
  ];
  for (const [policy, exitCode, expected] of table) {
    it(`${policy} with exit code ${exitCode} gives ${expected}`, () => {
      assert.equal(shouldRestart(policy, exitCode), expected);
    });
  }
});

describe("computePlan with unhealthy containers", () => {
  const liveness = { probe: "liveness" as const, message: "container main failed liveness probe, will be restarted", gracePeriodSeconds: undefined };

  it("kills a running container that failed its liveness probe, with the pod's grace period", () => {
    const plan = planFor([basePod({ terminationGracePeriodSeconds: 12 })], { sandboxes: [sandbox()], containers: [container()] }, new Map(), NOW, new Map([["c-1", liveness]]));
    assert.deepEqual(plan.killContainers, [
      { containerId: "c-1", name: "main", reason: "LivenessProbeFailed", message: liveness.message, gracePeriodSeconds: 12 },
    ]);
    assert.equal(hasWork(plan), true);
    assert.deepEqual(plan.startContainers, [], "the restart waits for the exit and its back-off");
  });

  it("uses the probe's own grace period and names a startup failure", () => {
    const startup = { probe: "startup" as const, message: "failed startup probe", gracePeriodSeconds: 3 };
    const plan = planFor([basePod()], { sandboxes: [sandbox()], containers: [container()] }, new Map(), NOW, new Map([["c-1", startup]]));
    assert.equal(plan.killContainers[0]?.reason, "StartupProbeFailed");
    assert.equal(plan.killContainers[0]?.gracePeriodSeconds, 3);
  });

  it("ignores an unhealthy entry for an instance that already exited", () => {
    const plan = planFor(
      [basePod()],
      { sandboxes: [sandbox()], containers: [exited(137, NOW - 1_000)] },
      new Map(),
      NOW,
      new Map([["c-1", liveness]]),
    );
    assert.deepEqual(plan.killContainers, []);
    assert.equal(plan.waiting[0]?.reason, "CrashLoopBackOff", "the killed instance restarts after a back-off");
  });
});
