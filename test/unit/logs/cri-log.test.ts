import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { CriLogParser, parseCriLog } from "../../../src/logs/cri-log.js";

describe("CRI log parser", () => {
  it("reads full lines of both streams", () => {
    const lines = parseCriLog(
      "2026-12-04T10:00:00.000000001Z stdout F hello\n2026-12-04T10:00:01.5Z stderr F oops: failed\n",
    );
    assert.deepEqual(lines, [
      { timestamp: "2026-12-04T10:00:00.000000001Z", stream: "stdout", message: "hello" },
      { timestamp: "2026-12-04T10:00:01.5Z", stream: "stderr", message: "oops: failed" },
    ]);
  });

  it("joins partial entries per stream", () => {
    const lines = parseCriLog(
      [
        "2026-12-04T10:00:00Z stdout P first ",
        "2026-12-04T10:00:00Z stderr F between",
        "2026-12-04T10:00:01Z stdout P half ",
        "2026-12-04T10:00:02Z stdout F end",
        "",
      ].join("\n"),
    );
    assert.deepEqual(
      lines.map((line) => `${line.stream}:${line.message}`),
      ["stderr:between", "stdout:first half end"],
    );
    assert.equal(lines[1]?.timestamp, "2026-12-04T10:00:00Z", "a joined line keeps the first part's timestamp");
  });

  it("keeps an empty message and spaces inside messages", () => {
    const lines = parseCriLog("2026-12-04T10:00:00Z stdout F \n2026-12-04T10:00:00Z stdout F  two  spaces \n");
    assert.deepEqual(
      lines.map((line) => line.message),
      ["", " two  spaces "],
    );
  });

  it("returns the unterminated tail for the next read", () => {
    const parser = new CriLogParser();
    const first = parser.push("2026-12-04T10:00:00Z stdout F one\n2026-12-04T10:00:01Z std");
    assert.deepEqual(
      first.lines.map((line) => line.message),
      ["one"],
    );
    assert.equal(first.rest, "2026-12-04T10:00:01Z std");
    const second = parser.push(first.rest + "out F two\n");
    assert.deepEqual(
      second.lines.map((line) => line.message),
      ["two"],
    );
  });

  it("passes malformed lines through instead of dropping them", () => {
    const lines = parseCriLog("not a cri line\n");
    assert.deepEqual(lines, [{ timestamp: "", stream: "stdout", message: "not a cri line" }]);
  });

  it("flushes a partial entry left open when the log ends", () => {
    const parser = new CriLogParser();
    parser.push("2026-12-04T10:00:00Z stdout P no newline yet\n");
    assert.deepEqual(
      parser.flush().map((line) => line.message),
      ["no newline yet"],
    );
  });
});
