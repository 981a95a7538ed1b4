import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

import { validateFiles } from "../../../src/manifest/index.js";

const FIXTURES = fileURLToPath(new URL("../../../../test/data/manifests/", import.meta.url));

let root: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), "tinylet-manifest-validate-"));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("validateFiles", () => {
  it("expands a directory to its manifest files", async () => {
    const results = await validateFiles([join(FIXTURES, "mixed")]);
    assert.deepEqual(
      results.map((result) => [result.file, result.errors.length, result.pods.map((pod) => pod.name)]),
      [
        [join(FIXTURES, "mixed", "app.yaml"), 0, ["app"]],
        [join(FIXTURES, "mixed", "broken.yaml"), 1, []],
        [join(FIXTURES, "mixed", "multi-doc.yaml"), 0, ["first-doc", "second-doc"]],
        [join(FIXTURES, "mixed", "not-a-pod.yaml"), 1, []],
        [join(FIXTURES, "mixed", "steady.yaml"), 0, ["steady"]],
      ],
    );
  });

  it("warns that kubelet reads only the first document", async () => {
    const file = join(FIXTURES, "mixed", "multi-doc.yaml");
    const [result] = await validateFiles([file]);
    assert.deepEqual(
      result?.warnings.map((warning) => warning.message),
      [`${file}: the file has 2 documents; tinylet runs every Pod document, but kubelet reads only the first`],
    );
  });

  it("warns about files without a pod", async () => {
    for (const [name, text] of [["empty.yaml", ""], ["comments.yaml", "# nothing yet\n---\n"]] as const) {
      const file = join(root, name);
      await writeFile(file, text);
      const [result] = await validateFiles([file]);
      assert.deepEqual(result?.errors, [], name);
      assert.deepEqual(
        result?.warnings.map((warning) => warning.message),
        [`${file}: the file defines no pod: it is empty or contains only comments`],
        name,
      );
    }
  });

  it("reads a named file the daemon would ignore", async () => {
    const file = join(FIXTURES, "backup-shadow", "web.yaml.bak");
    const [result] = await validateFiles([file]);
    assert.deepEqual(result?.errors, []);
    assert.deepEqual(result?.pods.map((pod) => pod.annotations["tinylet.test/revision"]), ["v1"]);
    assert.deepEqual(
      result?.warnings.map((warning) => warning.message),
      [
        `${file}: the daemon ignores this file because of its name; manifest names end in .yaml, .yml, .json, .manifest and do not start with '.'`,
      ],
    );
  });

  it("reports a missing path", async () => {
    const missing = join(root, "missing.yaml");
    const results = await validateFiles([missing]);
    assert.deepEqual(results.map((result) => result.errors.map((error) => error.message)), [[`${missing}: not found`]]);
  });

  it("warns about duplicates across paths", async () => {
    const dir = join(root, "dup");
    await mkdir(dir);
    await copyFile(join(FIXTURES, "backup-shadow", "web.yaml"), join(dir, "a.yaml"));
    await copyFile(join(FIXTURES, "backup-shadow", "web.yaml.bak"), join(dir, "b.yaml"));

    const [first, second] = await validateFiles([dir]);
    assert.equal(first?.pods.length, 1);
    assert.deepEqual(second?.pods, []);
    assert.deepEqual(
      second?.warnings.map((warning) => warning.message),
      [`${join(dir, "b.yaml")}:2: pod default/web is already defined in ${join(dir, "a.yaml")}:2; this definition is ignored`],
    );
  });

  it("rejects bytes that are not UTF-8", async () => {
    const file = join(root, "latin1.yaml");
    await writeFile(file, Buffer.from("name: caf\xe9\n", "latin1"));
    const [result] = await validateFiles([file]);
    assert.deepEqual(result?.errors.map((error) => error.message), [
      `${file}:1:10: invalid UTF-8 byte 0xe9 at byte offset 9; manifests must be UTF-8 text`,
    ]);
  });
});
