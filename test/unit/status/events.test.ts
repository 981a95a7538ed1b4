import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { Logger } from "../../../src/log/logger.js";
import { EventRecorder, type PodRef } from "../../../src/status/events.js";

const WEB: PodRef = { namespace: "default", name: "web", uid: "u1" };
const DB: PodRef = { namespace: "default", name: "db", uid: "u2" };

describe("EventRecorder", () => {
  it("counts an identical event instead of adding it again", () => {
    let now = 1_000;
    const recorder = new EventRecorder({ now: () => now });
    recorder.record(WEB, { type: "Warning", reason: "BackOff", message: "back-off", container: "main" });
    now = 5_000;
    recorder.record(WEB, { type: "Normal", reason: "Started", message: "Started container main", container: "main" });
    now = 9_000;
    recorder.record(WEB, { type: "Warning", reason: "BackOff", message: "back-off", container: "main" });

    const events = recorder.list("default/web");
    assert.deepEqual(
      events.map((event) => [event.reason, event.count, event.firstTimestampMs, event.lastTimestampMs]),
      [
        ["Started", 1, 5_000, 5_000],
        ["BackOff", 2, 1_000, 9_000],
      ],
    );
  });

  it("keeps at most maxPerPod events, dropping the oldest", () => {
    const recorder = new EventRecorder({ maxPerPod: 3 });
    for (let index = 0; index < 5; index++) {
      recorder.record(WEB, { type: "Normal", reason: "Started", message: `event ${index}` });
    }
    assert.deepEqual(
      recorder.list("default/web").map((event) => event.message),
      ["event 2", "event 3", "event 4"],
    );
  });

  it("keeps pods apart and forgets pods that are gone", () => {
    const recorder = new EventRecorder();
    recorder.record(WEB, { type: "Normal", reason: "Pulled", message: "present" });
    recorder.record(DB, { type: "Normal", reason: "Pulled", message: "present" });
    assert.equal(recorder.list().length, 2);
    recorder.retain(new Set(["default/db"]));
    assert.deepEqual(recorder.list("default/web"), []);
    assert.equal(recorder.list("default/db").length, 1);
  });

  it("logs Normal events at info and Warning events at warn", () => {
    const lines: string[] = [];
    const recorder = new EventRecorder({ log: new Logger({ write: (line) => lines.push(line) }) });
    recorder.record(WEB, { type: "Normal", reason: "Started", message: "Started container main", container: "main" });
    recorder.record(WEB, { type: "Warning", reason: "Unhealthy", message: "Liveness probe failed: x", container: "main" });
    assert.match(lines[0] ?? "", /INFO  pod event pod=default\/web podUID=u1 container=main reason=Started/);
    assert.match(lines[1] ?? "", /WARN  pod event .*reason=Unhealthy message="Liveness probe failed: x"/);
  });
});
