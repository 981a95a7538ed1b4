import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { convertCommand } from "../../../src/cli/convert-command.js";
import { parseManifest } from "../../../src/manifest/index.js";

const SMALL = [
  "name: web",
  "namespace: edge",
  "restartPolicy: OnFailure",
  "containers:",
  "- name: web",
  "  image: busybox:1.36",
  "  command: [httpd, -f]",
  "  workingDir: /srv",
  "  env: [{name: MODE, value: fast}]",
  "  ports: [{name: http, containerPort: 80, hostPort: 8080, hostIP: 127.0.0.1}, {containerPort: 53, protocol: UDP}]",
  "",
].join("\n");

describe("tinylet convert", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "tinylet-convert-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("prints a Kubernetes Pod with the same UID", async () => {
    const file = path.join(dir, "small.yaml");
    await writeFile(file, SMALL);
    let output = "";
    assert.equal(await convertCommand([file], (text) => (output += text)), 0);

    const converted = parseManifest("converted.yaml", output);
    const original = parseManifest("small.yaml", SMALL);
    assert.deepEqual(converted.errors, []);
    assert.deepEqual(converted.warnings, []);
    assert.match(output, /^apiVersion: v1\nkind: Pod\n/);
    assert.equal(converted.pods[0]?.uid, original.pods[0]?.uid);
    assert.deepEqual(converted.pods[0]?.containers, original.pods[0]?.containers);
    assert.equal(converted.pods[0]?.restartPolicy, "OnFailure");
  });

  it("refuses a Kubernetes manifest", async () => {
    const file = path.join(dir, "kube.yaml");
    await writeFile(file, "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec: {containers: [{name: web, image: busybox}]}\n");
    let output = "";
    assert.equal(await convertCommand([file], (text) => (output += text)), 1);
    assert.equal(output, "");
  });
});
