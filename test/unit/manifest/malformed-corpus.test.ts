/**
 * The corpus of malformed manifests in test/data/malformed: each file must give exactly the errors
 * listed in its `.expected` file, the way `tinylet validate` prints them, and no pod.
 */
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

import { isManifestFileName, validateFiles } from "../../../src/manifest/index.js";

const CORPUS = fileURLToPath(new URL("../../../../test/data/malformed/", import.meta.url));

/** The corpus must keep at least this many cases. */
const MIN_CASES = 30;

const names = (await readdir(CORPUS)).filter(isManifestFileName).sort();

describe("malformed manifest corpus", () => {
  it(`has at least ${MIN_CASES} cases, each with its expectation`, async () => {
    assert.ok(names.length >= MIN_CASES, `only ${names.length} cases`);
    const expectations = (await readdir(CORPUS)).filter((name) => name.endsWith(".expected"));
    assert.deepEqual(expectations.sort(), names.map((name) => `${name}.expected`).sort());
  });

  for (const name of names) {
    it(`rejects ${name}`, async () => {
      const expected = (await readFile(join(CORPUS, `${name}.expected`), "utf8")).split("\n").filter((line) => line !== "");
      const [result] = await validateFiles([join(CORPUS, name)]);
      assert.ok(result !== undefined);

      const errors = result.errors.map((error) => `error: ${error.message.replace(CORPUS, "")}`);
      assert.deepEqual(errors, expected);
      assert.ok(errors.length > 0, "a malformed file has at least one error");
      for (const error of result.errors) {
        assert.ok(error.message.startsWith(`${join(CORPUS, name)}:`), `names the file: ${error.message}`);
      }
      assert.deepEqual(result.pods, [], "a file with an error runs no pod");
    });
  }
});
