import assert from "node:assert/strict";
import { describe, it } from "node:test";

import type { ProbeType } from "../../../src/manifest/index.js";
import {
  initialProbeState,
  nextProbeState,
  type ProbeEvent,
  type ProbeOutcome,
  type ProbeState,
  type ProbeTiming,
} from "../../../src/probe/index.js";

const T0 = 1_700_000_000_000;
const TIMING: ProbeTiming = { initialDelaySeconds: 0, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 };
const OK: ProbeOutcome = { result: "success", message: "" };
const FAIL: ProbeOutcome = { result: "failure", message: "boom" };
const ERROR: ProbeOutcome = { result: "unknown", message: "exec failed" };

/** A worker driven by hand: records every probe it starts and every result change. */
class Driver {
  state: ProbeState;
  probesStarted: number[] = [];
  changes: string[] = [];
  wakeAtMs: number | undefined;

  constructor(
    readonly type: ProbeType,
    readonly timing: ProbeTiming,
    startedAtMs = T0,
  ) {
    this.state = initialProbeState(type, timing, startedAtMs);
  }

  apply(event: ProbeEvent): void {
    const transition = nextProbeState(this.type, this.timing, this.state, event);
    this.state = transition.state;
    this.wakeAtMs = transition.wakeAtMs;
    if (transition.runProbe) this.probesStarted.push(event.type === "stop" ? -1 : event.nowMs);
    if (transition.changed) this.changes.push(`${this.state.result}@${event.type === "stop" ? -1 : event.nowMs - T0}`);
  }

  tick(atMs: number, started = true): void {
    this.apply({ type: "tick", nowMs: atMs, started });
  }

  finish(atMs: number, outcome: ProbeOutcome, started = true): void {
    this.apply({ type: "finished", nowMs: atMs, outcome, started });
  }

  /** Runs probes on schedule, each taking `durationMs`, with outcomes in order. */
  run(outcomes: ProbeOutcome[], durationMs = 100): void {
    let now = T0;
    this.tick(now);
    for (const outcome of outcomes) {
      if (this.state.kind !== "probing") {
        assert.ok(this.wakeAtMs !== undefined, `expected a wake-up in state ${this.state.kind}`);
        now = this.wakeAtMs;
        this.tick(now);
      }
      assert.equal(this.state.kind, "probing");
      now += durationMs;
      this.finish(now, outcome);
    }
  }
}

describe("probe state machine", () => {
  it("reports kubelet's initial results before any probe", () => {
    assert.equal(initialProbeState("liveness", TIMING, T0).result, "success");
    assert.equal(initialProbeState("readiness", TIMING, T0).result, "failure");
    assert.equal(initialProbeState("startup", TIMING, T0).result, "unknown");
  });

  it("waits initialDelaySeconds before the first probe", () => {
    const driver = new Driver("liveness", { ...TIMING, initialDelaySeconds: 5 });
    driver.tick(T0 + 1_000);
    assert.deepEqual(driver.probesStarted, []);
    assert.equal(driver.wakeAtMs, T0 + 5_000);
    driver.tick(T0 + 5_000);
    assert.deepEqual(driver.probesStarted, [T0 + 5_000]);
  });

  const thresholdCases: { name: string; type: ProbeType; timing: ProbeTiming; outcomes: ProbeOutcome[]; changes: string[]; final: string }[] = [
    {
      name: "liveness fails only after failureThreshold failures in a row",
      type: "liveness",
      timing: TIMING,
      outcomes: [FAIL, FAIL, FAIL],
      changes: ["failure@20100"],
      final: "held",
    },
    {
      name: "a success between failures starts the count over",
      type: "liveness",
      timing: TIMING,
      outcomes: [FAIL, FAIL, OK, FAIL, FAIL],
      changes: [],
      final: "scheduled",
    },
    {
      name: "probe errors are not counted either way",
      type: "liveness",
      timing: { ...TIMING, failureThreshold: 2 },
      outcomes: [FAIL, ERROR, FAIL],
      changes: ["failure@20100"],
      final: "held",
    },
    {
      name: "readiness becomes ready after successThreshold successes",
      type: "readiness",
      timing: { ...TIMING, successThreshold: 2 },
      outcomes: [OK, OK],
      changes: ["success@10100"],
      final: "scheduled",
    },
    {
      name: "readiness flips both ways and keeps probing",
      type: "readiness",
      timing: { ...TIMING, failureThreshold: 2 },
      outcomes: [OK, FAIL, FAIL, OK],
      changes: ["success@100", "failure@20100", "success@30100"],
      final: "scheduled",
    },
    {
      name: "startup succeeds once and stops probing",
      type: "startup",
      timing: TIMING,
      outcomes: [FAIL, OK],
      changes: ["success@10100"],
      final: "done",
    },
    {
      name: "startup fails after failureThreshold failures and holds",
      type: "startup",
      timing: { ...TIMING, failureThreshold: 2 },
      outcomes: [FAIL, FAIL],
      changes: ["failure@10100"],
      final: "held",
    },
  ];
  for (const testCase of thresholdCases) {
    it(testCase.name, () => {
      const driver = new Driver(testCase.type, testCase.timing);
      driver.run(testCase.outcomes);
      assert.deepEqual(driver.changes, testCase.changes);
      assert.equal(driver.state.kind, testCase.final);
    });
  }

  it("runs probes one period apart", () => {
    const driver = new Driver("readiness", TIMING);
    driver.run([OK, OK, OK]);
    assert.deepEqual(
      driver.probesStarted.map((at) => at - T0),
      [0, 10_000, 20_000],
    );
  });

  it("never starts a probe while one runs", () => {
    const driver = new Driver("liveness", { ...TIMING, periodSeconds: 1 });
    driver.tick(T0);
    driver.tick(T0 + 1_000);
    driver.tick(T0 + 2_000);
    assert.deepEqual(driver.probesStarted, [T0]);
    assert.equal(driver.state.kind, "probing");
  });

  it("starts the next probe at once after one that outlasted its period", () => {
    // timeoutSeconds 5 with periodSeconds 2: each probe times out after 5 s, and the next follows at once.
    const driver = new Driver("liveness", { ...TIMING, periodSeconds: 2, failureThreshold: 3 });
    driver.tick(T0);
    driver.finish(T0 + 5_000, FAIL);
    assert.equal(driver.state.kind, "probing");
    driver.finish(T0 + 10_000, FAIL);
    assert.deepEqual(
      driver.probesStarted.map((at) => at - T0),
      [0, 5_000, 10_000],
    );
  });

  it("waits for the rest of the period after a quick probe", () => {
    const driver = new Driver("liveness", { ...TIMING, periodSeconds: 2 });
    driver.tick(T0);
    driver.finish(T0 + 500, OK);
    assert.equal(driver.state.kind, "scheduled");
    assert.equal(driver.wakeAtMs, T0 + 2_000);
    driver.tick(T0 + 1_999);
    assert.equal(driver.state.kind, "scheduled");
    driver.tick(T0 + 2_000);
    assert.equal(driver.state.kind, "probing");
  });

  it("holds liveness and readiness until the container counts as started", () => {
    const liveness = new Driver("liveness", TIMING);
    liveness.tick(T0, false);
    assert.equal(liveness.state.kind, "gated");
    assert.deepEqual(liveness.probesStarted, []);
    liveness.tick(T0 + 30_000, false);
    assert.deepEqual(liveness.probesStarted, []);
    liveness.tick(T0 + 31_000, true);
    assert.deepEqual(liveness.probesStarted, [T0 + 31_000]);

    const readiness = new Driver("readiness", TIMING);
    readiness.tick(T0, false);
    assert.equal(readiness.state.result, "failure");
    assert.equal(readiness.state.kind, "gated");
  });

  it("probes startup while the container has not started", () => {
    const startup = new Driver("startup", TIMING);
    startup.tick(T0, false);
    assert.deepEqual(startup.probesStarted, [T0]);
  });

  it("drops the outcome of a probe that finishes after stop", () => {
    const driver = new Driver("liveness", { ...TIMING, failureThreshold: 1 });
    driver.tick(T0);
    driver.apply({ type: "stop" });
    driver.finish(T0 + 100, FAIL);
    assert.equal(driver.state.kind, "stopped");
    assert.equal(driver.state.result, "success");
    assert.deepEqual(driver.changes, []);
  });

  it("keeps a held liveness probe held until the worker is replaced", () => {
    const driver = new Driver("liveness", { ...TIMING, failureThreshold: 1 });
    driver.run([FAIL]);
    assert.equal(driver.state.kind, "held");
    driver.tick(T0 + 60_000);
    assert.deepEqual(driver.probesStarted, [T0]);
  });
});
