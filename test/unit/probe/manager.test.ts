import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it, mock } from "node:test";

import { discardLogger } from "../../../src/log/logger.js";
import { PROBE_DEFAULTS, type Container, type Probe, type ProbeType } from "../../../src/manifest/index.js";
import { ProbeManager, type ProbedContainer, type ProbeOutcome } from "../../../src/probe/index.js";
import type { EventInput, PodRef } from "../../../src/status/events.js";

const T0 = 1_700_000_000_000;
const POD: PodRef = { namespace: "default", name: "web", uid: "uid-1" };

function probe(overrides: Partial<Probe> = {}): Probe {
  return { ...PROBE_DEFAULTS, periodSeconds: 1, exec: { command: ["check"] }, ...overrides };
}

function probed(container: Partial<Container>, containerId = "c-1"): ProbedContainer {
  return {
    pod: POD,
    container: { name: "main", image: "busybox", command: [], args: [], env: [], ports: [], ...container },
    target: { containerId, podIP: "10.77.0.2", ports: [] },
    startedAtMs: T0,
  };
}

/** A probe runner whose outcome per probe type the test sets, recording each run. */
class FakeRunner {
  outcomes = new Map<ProbeType, ProbeOutcome>();
  runs: { type: ProbeType; atMs: number }[] = [];

  constructor(private readonly typeOf: (probe: Probe) => ProbeType) {}

  run = async (probe: Probe): Promise<ProbeOutcome> => {
    const type = this.typeOf(probe);
    this.runs.push({ type, atMs: Date.now() });
    return this.outcomes.get(type) ?? { result: "success", message: "" };
  };

  count(type: ProbeType): number {
    return this.runs.filter((run) => run.type === type).length;
  }
}

async function advance(ms: number): Promise<void> {
  for (let step = 0; step < ms; step += 100) {
    mock.timers.tick(100);
    // Lets probe promises settle between timer steps.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("ProbeManager", () => {
  const liveness = probe({ failureThreshold: 2, terminationGracePeriodSeconds: 4 });
  const readiness = probe({ exec: { command: ["ready"] }, failureThreshold: 1 });
  const startup = probe({ exec: { command: ["started"] }, failureThreshold: 30 });
  const typeOf = (candidate: Probe): ProbeType => (candidate === liveness ? "liveness" : candidate === readiness ? "readiness" : "startup");

  let runner: FakeRunner;
  let unhealthyCalls: number;
  let events: EventInput[];
  let manager: ProbeManager;

  beforeEach(() => {
    mock.timers.enable({ apis: ["setTimeout", "Date"], now: T0 });
    runner = new FakeRunner(typeOf);
    unhealthyCalls = 0;
    events = [];
    manager = new ProbeManager({
      run: runner.run,
      log: discardLogger(),
      onUnhealthy: () => unhealthyCalls++,
      events: { record: (_pod, event) => events.push(event) },
    });
  });
  afterEach(() => {
    manager.stop();
    mock.timers.reset();
  });

  it("reports a container unhealthy after failureThreshold liveness failures", async () => {
    runner.outcomes.set("liveness", { result: "failure", message: "no pid file" });
    manager.sync([probed({ livenessProbe: liveness })]);
    await advance(1_500);
    assert.equal(manager.unhealthy().size, 1, "two failures one period apart");
    assert.equal(unhealthyCalls, 1);
    assert.deepEqual(manager.unhealthy().get("c-1"), {
      containerId: "c-1",
      pod: POD,
      containerName: "main",
      probe: "liveness",
      message: "container main failed liveness probe, will be restarted",
      gracePeriodSeconds: 4,
    });
    assert.deepEqual(
      events.map((event) => [event.reason, event.message]),
      [
        ["Unhealthy", "Liveness probe failed: no pid file"],
        ["Unhealthy", "Liveness probe failed: no pid file"],
      ],
    );

    const runsSoFar = runner.count("liveness");
    await advance(5_000);
    assert.equal(runner.count("liveness"), runsSoFar, "a held probe does not run again");
  });

  it("forgets an unhealthy container once it no longer runs", async () => {
    runner.outcomes.set("liveness", { result: "failure", message: "" });
    manager.sync([probed({ livenessProbe: liveness })]);
    await advance(1_500);
    assert.equal(manager.unhealthy().size, 1);
    manager.sync([]);
    assert.equal(manager.unhealthy().size, 0);
    assert.equal(manager.status("c-1"), undefined);
  });

  it("starts fresh workers for a new instance of the container", async () => {
    runner.outcomes.set("liveness", { result: "failure", message: "" });
    manager.sync([probed({ livenessProbe: liveness }, "c-1")]);
    await advance(1_500);
    runner.outcomes.set("liveness", { result: "success", message: "" });
    manager.sync([probed({ livenessProbe: liveness }, "c-2")]);
    await advance(3_000);
    assert.equal(manager.unhealthy().size, 0);
    assert.ok(runner.count("liveness") >= 4);
  });

  it("holds liveness and readiness until the startup probe succeeds", async () => {
    runner.outcomes.set("startup", { result: "failure", message: "not yet" });
    manager.sync([probed({ livenessProbe: liveness, readinessProbe: readiness, startupProbe: startup })]);
    await advance(3_000);
    assert.ok(runner.count("startup") >= 3);
    assert.equal(runner.count("liveness"), 0);
    assert.equal(runner.count("readiness"), 0);
    assert.deepEqual(manager.status("c-1"), { started: false, ready: false });

    runner.outcomes.set("startup", { result: "success", message: "" });
    await advance(1_000);
    assert.equal(manager.status("c-1")?.started, true);
    await advance(100);
    assert.ok(runner.count("liveness") >= 1, "liveness starts right after startup succeeded");
    assert.deepEqual(manager.status("c-1"), { started: true, ready: true });
  });

  it("flips readiness both ways", async () => {
    manager.sync([probed({ readinessProbe: readiness })]);
    assert.deepEqual(manager.status("c-1"), { started: true, ready: false }, "not ready before the first probe");
    await advance(100);
    assert.equal(manager.status("c-1")?.ready, true);

    runner.outcomes.set("readiness", { result: "failure", message: "503" });
    await advance(1_100);
    assert.equal(manager.status("c-1")?.ready, false);
    assert.equal(manager.unhealthy().size, 0, "readiness never kills");

    runner.outcomes.set("readiness", { result: "success", message: "" });
    await advance(1_100);
    assert.equal(manager.status("c-1")?.ready, true);
  });

  it("counts result and worker changes", async () => {
    const counts: number[] = [manager.changes];
    manager.sync([probed({ readinessProbe: readiness })]);
    counts.push(manager.changes);
    await advance(100);
    counts.push(manager.changes);
    await advance(3_000);
    counts.push(manager.changes);
    runner.outcomes.set("readiness", { result: "failure", message: "503" });
    await advance(1_100);
    counts.push(manager.changes);
    manager.sync([]);
    counts.push(manager.changes);

    // New worker, first result, repeated successes (no change), failure, worker gone.
    const steps = counts.slice(1).map((count, index) => count - (counts[index] ?? 0));
    assert.deepEqual(steps, [1, 1, 0, 1, 1]);
  });
});
