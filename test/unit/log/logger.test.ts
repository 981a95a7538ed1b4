import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { Logger } from "../../../src/log/logger.js";

function capture(options: ConstructorParameters<typeof Logger>[0] = {}): { log: Logger; lines: string[]; clock: { now: number } } {
  const lines: string[] = [];
  const clock = { now: Date.UTC(2026, 11, 4, 12, 0, 0) };
  const log = new Logger({ write: (line) => lines.push(line), now: () => clock.now, ...options });
  return { log, lines, clock };
}

describe("Logger", () => {
  it("writes a constant message with key=value fields", () => {
    const { log, lines } = capture();
    log.with({ pod: "default/web" }).info("started container", { container: "main", durationMs: 12.345, note: "two words" });
    assert.deepEqual(lines, [
      '2026-12-04T12:00:00.000Z INFO  started container pod=default/web container=main durationMs=12.3 note="two words"',
    ]);
  });

  it("escapes control characters in values", () => {
    const { log, lines } = capture();
    log.info("pulling image", { image: "busybox\u0000", title: "\u001b[2J\u0007", del: "a\u007fb\u0085", empty: "" });
    assert.deepEqual(lines, [
      '2026-12-04T12:00:00.000Z INFO  pulling image image="busybox\\u0000" title="\\u001b[2J\\u0007" del="a\\u007fb\\u0085" empty=""',
    ]);
  });

  it("writes JSON lines with errors as their message", () => {
    const { log, lines } = capture({ format: "json" });
    log.error("failed to start container", { pod: "default/web", err: new Error("cri StartContainer: unknown: boom") });
    assert.deepEqual(JSON.parse(lines[0] ?? ""), {
      time: "2026-12-04T12:00:00.000Z",
      level: "error",
      msg: "failed to start container",
      pod: "default/web",
      err: "cri StartContainer: unknown: boom",
    });
  });

  it("drops entries below the level", () => {
    const { log, lines } = capture({ level: "warn" });
    log.debug("plan");
    log.info("started");
    log.warn("slow");
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? "", /WARN  slow$/);
  });

  it("counts repeated errors instead of writing each", () => {
    const { log, lines, clock } = capture({ repeatWindowMs: 60_000 });
    for (let i = 0; i < 5; i++) {
      log.error("runtime unreachable", { socket: "/run/x.sock" });
      clock.now += 1_000;
    }
    assert.equal(lines.length, 1);

    clock.now += 60_000;
    log.error("runtime unreachable", { socket: "/run/x.sock" });
    assert.equal(lines.length, 2);
    assert.match(lines[1] ?? "", /repeated=4$/);
  });

  it("does not rate-limit different errors or info entries", () => {
    const { log, lines } = capture();
    log.error("failed", { pod: "a" });
    log.error("failed", { pod: "b" });
    log.info("started");
    log.info("started");
    assert.equal(lines.length, 4);
  });
});
