import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { daemonCommand } from "../../../src/cli/daemon-command.js";
import { parseDuration } from "../../../src/cli/duration.js";
import { formatAge, formatDuration, formatId, parseOutputFormat, renderItems, renderTable, UsageError } from "../../../src/cli/output.js";

describe("parseDuration", () => {
  const good: [string, number][] = [
    ["2s", 2_000],
    ["500ms", 500],
    ["1m30s", 90_000],
    ["1.5s", 1_500],
    ["1h", 3_600_000],
  ];
  for (const [text, ms] of good) {
    it(`reads ${text} as ${ms} ms`, () => {
      assert.equal(parseDuration("--interval", text), ms);
    });
  }

  for (const text of ["", "2", "2x", "s", "-1s", "0s", "2s junk"]) {
    it(`rejects ${JSON.stringify(text)} naming the flag`, () => {
      assert.throws(() => parseDuration("--interval", text), (error: unknown) => {
        assert.ok(error instanceof UsageError);
        assert.match(error.message, /^invalid --interval /);
        return true;
      });
    });
  }
});

describe("daemon --max-parallel", () => {
  for (const text of ["0", "abc", "1.5", "0x4", "4e0", " 4", "+3", "", "99999999999999999999"]) {
    it(`rejects ${JSON.stringify(text)} before starting`, async () => {
      await assert.rejects(daemonCommand(["--max-parallel", text], () => undefined), (error: unknown) => {
        assert.ok(error instanceof UsageError);
        assert.equal(error.message, `invalid --max-parallel "${text}": expected a whole number of at least 1`);
        return true;
      });
    });
  }
});

describe("output helpers", () => {
  it("pads table columns under upper-case headers", () => {
    const text = renderTable(["POD ID", "NAME"], [["abc", "web"], ["abcdefgh", "x"]]);
    assert.equal(text, "POD ID     NAME\nabc        web\nabcdefgh   x\n");
  });

  it("wraps JSON items as crictl does", () => {
    assert.deepEqual(JSON.parse(renderItems("json", [{ id: "a" }])), { items: [{ id: "a" }] });
    assert.equal(renderItems("yaml", [{ id: "a" }]), "items:\n  - id: a\n");
  });

  it("shows ages in the largest whole unit", () => {
    const now = 1_000_000_000;
    assert.equal(formatAge(now - 5_000, now), "5s ago");
    assert.equal(formatAge(now - 3 * 60_000, now), "3m ago");
    assert.equal(formatAge(now - 5 * 3_600_000, now), "5h ago");
    assert.equal(formatAge(now - 3 * 86_400_000, now), "3d ago");
  });

  it("shows durations without a suffix, as kubectl's AGE", () => {
    const now = 1_000_000_000;
    assert.equal(formatDuration(now - 55_000, now), "55s");
    assert.equal(formatDuration(now - 3 * 60_000, now), "3m");
    assert.equal(formatDuration(now - 47 * 3_600_000, now), "47h");
    assert.equal(formatDuration(now - 3 * 86_400_000, now), "3d");
  });

  it("cuts IDs to 13 characters unless told not to", () => {
    const id = "0123456789abcdef0123";
    assert.equal(formatId(id, false), "0123456789abc");
    assert.equal(formatId(id, true), id);
  });

  it("names the allowed output formats when given another", () => {
    assert.throws(() => parseOutputFormat("xml"), /expected one of table, json, yaml$/);
    assert.throws(() => parseOutputFormat("xml", ["table", "wide", "json", "yaml"]), /expected one of table, wide, json, yaml$/);
    assert.equal(parseOutputFormat(undefined), "table");
  });
});
