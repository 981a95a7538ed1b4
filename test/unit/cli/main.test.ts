import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";

/** `bin/tinylet` of this checkout; the compiled test runs from dist/test/unit/cli. */
const BIN = fileURLToPath(new URL("../../../../bin/tinylet", import.meta.url));

/** Runs tinylet with `args` and returns its exit code and output. */
function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BIN, args, { timeout: 30_000 }, (error, stdout, stderr) => {
      let code = 0;
      if (error !== null) code = typeof error.code === "number" ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

describe("tinylet command line", () => {
  test("version prints the version", async () => {
    const { code, stdout } = await run(["version"]);
    assert.equal(code, 0);
    assert.match(stdout, /^tinylet \d+\.\d+\.\d+/);
  });

  test("version rejects unknown flags", async () => {
    const { code, stdout, stderr } = await run(["version", "--bogus"]);
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.equal(stderr, 'tinylet version: unknown option "--bogus" (see tinylet version --help)\n');
  });

  test("unknown option named once", async () => {
    const { code, stderr } = await run(["validate", "--bogus", "x.yaml"]);
    assert.equal(code, 2);
    assert.equal(stderr, 'tinylet validate: unknown option "--bogus" (see tinylet validate --help)\n');
  });
});
