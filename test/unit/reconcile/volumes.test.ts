import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, stat, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { parseManifest, type Pod, type Volume } from "../../../src/manifest/index.js";
import { checkHostPath, preparePodVolumes, removePodState, VolumeError } from "../../../src/reconcile/volumes.js";

let dir = "";

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "tinylet-volumes-"));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function hostPath(file: string, type: NonNullable<Volume["hostPath"]>["type"]): Volume {
  return { name: "vol", hostPath: { path: file, type } };
}

function pod(...spec: string[]): Pod {
  const text = ["apiVersion: v1", "kind: Pod", "metadata: {name: web}", "spec:", ...spec.map((line) => `  ${line}`), ""].join("\n");
  const result = parseManifest("web.yaml", text);
  assert.deepEqual(result.errors.map((error) => error.message), []);
  const parsed = result.pods[0];
  assert.ok(parsed);
  return parsed;
}

describe("hostPath type checks", () => {
  it("creates a missing directory for DirectoryOrCreate", async () => {
    const target = path.join(dir, "created", "nested");
    await checkHostPath(hostPath(target, "DirectoryOrCreate"));
    assert.ok((await stat(target)).isDirectory());
  });

  it("creates a missing file for FileOrCreate, but not its parent", async () => {
    const target = path.join(dir, "file.conf");
    await checkHostPath(hostPath(target, "FileOrCreate"));
    assert.ok((await stat(target)).isFile());
    await assert.rejects(checkHostPath(hostPath(path.join(dir, "missing-parent", "file.conf"), "FileOrCreate")), VolumeError);
  });

  const failures: [string, NonNullable<Volume["hostPath"]>["type"], RegExp][] = [
    ["missing", "Directory", /hostPath type check failed for volume vol: .*missing is not a directory \(it does not exist\)/],
    ["file.conf", "Directory", /file\.conf is not a directory$/],
    ["created", "File", /created is not a file$/],
    ["created", "Socket", /created is not a socket file$/],
    ["created", "CharDevice", /created is not a character device$/],
    ["created", "BlockDevice", /created is not a block device$/],
    ["file.conf", "DirectoryOrCreate", /file\.conf is not a directory$/],
  ];
  for (const [name, type, message] of failures) {
    it(`rejects ${name} as ${type}`, async () => {
      await assert.rejects(checkHostPath(hostPath(path.join(dir, name), type)), message);
    });
  }

  it("accepts a socket, a character device and an untyped missing path", async () => {
    const socketPath = path.join(dir, "app.sock");
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      await checkHostPath(hostPath(socketPath, "Socket"));
    } finally {
      server.close();
    }
    await checkHostPath(hostPath("/dev/null", "CharDevice"));
    await checkHostPath(hostPath(path.join(dir, "never-created"), ""));
  });
});

describe("preparePodVolumes", () => {
  it("creates emptyDir volumes writable by all, owned by the fsGroup", async () => {
    const target = pod("securityContext: {fsGroup: 2000}", "volumes: [{name: data, emptyDir: {}}]", "containers: [{name: main, image: img:1}]");
    const state = path.join(dir, "state-fsgroup");
    await preparePodVolumes(target, state);
    const info = await stat(path.join(state, "pods", target.uid, "volumes", "data"));
    assert.equal(info.mode & 0o7777, 0o2777);
    assert.equal(info.gid, 2000);
  });

  it("creates a missing subPath and rejects one that leaves the volume", async () => {
    const root = path.join(dir, "host-root");
    await mkdir(root);
    const good = pod(
      `volumes: [{name: host, hostPath: {path: ${root}}}]`,
      "containers: [{name: main, image: img:1, volumeMounts: [{name: host, mountPath: /x, subPath: a/b}]}]",
    );
    await preparePodVolumes(good, path.join(dir, "state-subpath"));
    assert.ok((await stat(path.join(root, "a", "b"))).isDirectory());

    await symlink("/etc", path.join(root, "escape"));
    const bad = pod(
      `volumes: [{name: host, hostPath: {path: ${root}}}]`,
      "containers: [{name: main, image: img:1, volumeMounts: [{name: host, mountPath: /x, subPath: escape}]}]",
    );
    await assert.rejects(preparePodVolumes(bad, path.join(dir, "state-subpath")), /subPath escape of volume host resolves to \/etc, outside the volume/);
  });

  it("removes the pod's state with the pod", async () => {
    const target = pod("volumes: [{name: data, emptyDir: {}}]", "containers: [{name: main, image: img:1}]");
    const state = path.join(dir, "state-remove");
    await preparePodVolumes(target, state);
    await writeFile(path.join(state, "pods", target.uid, "volumes", "data", "file"), "x");
    assert.deepEqual(await removePodState(target.uid, state), []);
    await assert.rejects(stat(path.join(state, "pods", target.uid)), { code: "ENOENT" });
  });
});
