import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

import { parseManifestBytes } from "../../../src/manifest/index.js";

/**
 * Published static-pod manifests (kubeadm, kops, the Kubernetes docs) kept beside the repository
 * checkout. They carry their own licence headers, so they are read in place, not copied, and the
 * test is skipped where they are absent.
 */
const PUBLISHED = fileURLToPath(new URL("../../../../../shared/cases/manifests/", import.meta.url));

/** Manifests under test/data, read from dist at run time. */
const FIXTURES = fileURLToPath(new URL("../../../../test/data/manifests/", import.meta.url));

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

describe("published manifests", { skip: existsSync(PUBLISHED) ? false : `${PUBLISHED} is not present` }, () => {
  it("parse without errors", async () => {
    const files = await listFiles(PUBLISHED);
    assert.ok(files.length > 0);
    for (const file of files) {
      const result = parseManifestBytes(file, await readFile(file));
      assert.deepEqual(result.errors.map((error) => error.message), [], file);
      assert.equal(result.pods.length, 1, file);
    }
  });
});

describe("fixture manifests", () => {
  const INVALID = new Set(["broken.yaml", "not-a-pod.yaml"]);

  it("parse as expected", async () => {
    const files = await listFiles(FIXTURES);
    assert.ok(files.length >= 15);
    for (const file of files) {
      const result = parseManifestBytes(file, await readFile(file));
      const name = file.slice(file.lastIndexOf("/") + 1);
      if (INVALID.has(name)) {
        assert.equal(result.errors.length, 1, file);
        assert.deepEqual(result.pods, [], file);
      } else {
        assert.deepEqual(result.errors.map((error) => error.message), [], file);
        assert.ok(result.pods.length >= 1, file);
      }
    }
  });
});
