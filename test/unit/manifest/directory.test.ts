import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { statSync, unlinkSync } from "node:fs";
import { appendFile, chmod, copyFile, mkdir, mkdtemp, readFile, rename, rm, stat, symlink, truncate, unlink, utimes, writeFile } from "node:fs/promises";
import { createRequire, syncBuiltinESMExports } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

import { ManifestDirectory, ManifestError, type DirectoryScan, type Pod } from "../../../src/manifest/index.js";

const FIXTURES = fileURLToPath(new URL("../../../../test/data/manifests/", import.meta.url));

let root: string;
let counter = 0;

before(async () => {
  root = await mkdtemp(join(tmpdir(), "tinylet-manifest-dir-"));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Creates a fresh, empty directory for one test. */
async function freshDir(): Promise<string> {
  counter += 1;
  const dir = join(root, `t${counter}`);
  await mkdir(dir);
  return dir;
}

function smallPod(name: string, command = "sleep 3600"): string {
  return `name: ${name}\ncontainers: [{name: main, image: busybox, command: [sh, -c, "${command}"]}]\n`;
}

/**
 * Returns a clock one minute ahead, so that to a directory using it every file was changed long
 * ago and its cached stat is trusted. A file's ctime cannot be set back, so the clock moves instead.
 */
function minuteAhead(): () => number {
  return () => Date.now() + 60_000;
}

/**
 * Replaces fs.statSync for the duration of `run`, as seen by every module that imports it (this
 * one too), with the function that `replace` builds from the original.
 */
async function withStatSync<T>(replace: (original: typeof statSync) => typeof statSync, run: () => Promise<T>): Promise<T> {
  const fs = createRequire(import.meta.url)("node:fs") as typeof import("node:fs");
  const original = fs.statSync;
  Object.assign(fs, { statSync: replace(original) });
  syncBuiltinESMExports();
  try {
    return await run();
  } finally {
    Object.assign(fs, { statSync: original });
    syncBuiltinESMExports();
  }
}

function keys(scan: DirectoryScan): string[] {
  return scan.pods.map((pod) => `${pod.namespace}/${pod.name}`);
}

function messages(problems: readonly { message: string }[]): string[] {
  return problems.map((problem) => problem.message);
}

function podNamed(scan: DirectoryScan, name: string): Pod {
  const pod = scan.pods.find((candidate) => candidate.name === name);
  assert.ok(pod, `pod ${name} is desired`);
  return pod;
}

describe("ManifestDirectory: files read", () => {
  it("reads only manifest names", async () => {
    const dir = await freshDir();
    for (const [name, pod] of [
      ["a.yaml", "a"],
      ["b.yml", "b"],
      ["c.json", "c"],
      ["d.manifest", "d"],
      ["E.YAML", "e"],
      [".hidden.yaml", "hidden"],
      ["web.yaml.bak", "bak"],
      ["web.yaml~", "tilde"],
      ["4913", "probe"],
      ["notes.txt", "txt"],
    ] as const) {
      await writeFile(join(dir, name), smallPod(pod));
    }
    await writeFile(join(dir, ".web.yaml.swp"), Buffer.from([0x62, 0x30, 0x00, 0xff, 0xfe]));
    await mkdir(join(dir, "sub.yaml"));
    await writeFile(join(dir, "sub.yaml", "nested.yaml"), smallPod("nested"));

    const scan = await new ManifestDirectory(dir).scan();
    assert.deepEqual(keys(scan), ["default/a", "default/b", "default/c", "default/d", "default/e"]);
    assert.equal(scan.files, 5);
    assert.deepEqual(messages(scan.problems), []);
  });

  it("follows symbolic links to files", async () => {
    const dir = await freshDir();
    const outside = join(await freshDir(), "target.txt");
    await writeFile(outside, smallPod("linked"));
    await symlink(outside, join(dir, "linked.yaml"));

    const scan = await new ManifestDirectory(dir).scan();
    assert.deepEqual(keys(scan), ["default/linked"]);
    assert.equal(podNamed(scan, "linked").source.file, join(dir, "linked.yaml"));
  });

  it("reports a dangling symbolic link", async () => {
    const dir = await freshDir();
    await symlink(join(dir, "missing-target"), join(dir, "gone.yaml"));

    const scan = await new ManifestDirectory(dir).scan();
    assert.deepEqual(keys(scan), []);
    assert.deepEqual(messages(scan.problems), [`${join(dir, "gone.yaml")}: symbolic link target does not exist; the link is ignored`]);
  });

  it("skips a FIFO without blocking", async () => {
    const dir = await freshDir();
    execFileSync("mkfifo", [join(dir, "pipe.yaml")]);
    await writeFile(join(dir, "a.yaml"), smallPod("a"));

    const scan = await new ManifestDirectory(dir).scan();
    assert.deepEqual(keys(scan), ["default/a"]);
    assert.equal(scan.files, 1);
  });

  it("ignores a file deleted between listing and reading", async () => {
    const dir = await freshDir();
    await writeFile(join(dir, "a.yaml"), smallPod("a"));
    await writeFile(join(dir, "vanishing.yaml"), smallPod("vanishing"));

    // Deterministic race: delete the file right after the directory has been listed.
    const fs = createRequire(import.meta.url)("node:fs") as typeof import("node:fs");
    const originalReaddir = fs.readdirSync;
    const patched = (...args: Parameters<typeof originalReaddir>) => {
      const names = originalReaddir(...args);
      unlinkSync(join(dir, "vanishing.yaml"));
      return names;
    };
    Object.assign(fs, { readdirSync: patched });
    syncBuiltinESMExports();
    let scan: DirectoryScan;
    try {
      scan = await new ManifestDirectory(dir).scan();
    } finally {
      Object.assign(fs, { readdirSync: originalReaddir });
      syncBuiltinESMExports();
    }

    assert.deepEqual(keys(scan), ["default/a"]);
    assert.deepEqual(messages(scan.problems), []);
    assert.equal(scan.files, 1);
  });

  it("rejects a file over maxFileBytes unread", async () => {
    const dir = await freshDir();
    const big = join(dir, "big.yaml");
    await writeFile(big, smallPod("big") + "#".repeat(200) + "\n");
    const directory = new ManifestDirectory(dir, { maxFileBytes: 100 });

    const scan = await directory.scan();
    const size = (await stat(big)).size;
    assert.deepEqual(keys(scan), []);
    assert.deepEqual(messages(scan.problems), [`${big}: file is ${size} bytes; the maximum is 100 bytes`]);
    assert.equal(directory.statistics.reads, 0);
  });

  it("reports a file that cannot be read", async (t) => {
    if (process.getuid?.() === 0) {
      t.skip("root reads files regardless of permissions");
      return;
    }
    const dir = await freshDir();
    const locked = join(dir, "locked.yaml");
    await writeFile(locked, smallPod("locked"));
    await chmod(locked, 0o000);

    const scan = await new ManifestDirectory(dir).scan();
    assert.equal(scan.problems.length, 1);
    assert.match(scan.problems[0]?.message ?? "", /locked\.yaml: failed to read: EACCES/);
  });
});

describe("ManifestDirectory: directory", () => {
  it("creates a missing directory", async () => {
    const dir = join(await freshDir(), "a", "manifests");
    const directory = new ManifestDirectory(dir);

    const first = await directory.scan();
    assert.equal(first.created, true);
    assert.equal(first.files, 0);
    assert.equal((await stat(dir)).mode & 0o777, 0o755 & ~process.umask());

    const second = await directory.scan();
    assert.equal(second.created, false);
  });

  it("names a directory it cannot create", async () => {
    const parent = join(await freshDir(), "file");
    await writeFile(parent, "not a directory");
    const dir = join(parent, "manifests");

    await assert.rejects(new ManifestDirectory(dir).scan(), (err: unknown) => {
      assert.ok(err instanceof ManifestError);
      assert.equal(err.file, dir);
      assert.ok(err.message.startsWith(`${dir}: `), err.message);
      return true;
    });
  });

  it("rejects a path that is a file", async () => {
    const path = join(await freshDir(), "manifests");
    await writeFile(path, "");
    await assert.rejects(new ManifestDirectory(path).scan(), {
      message: `${path}: manifest path is not a directory`,
    });
  });

  it("resolves a relative path", () => {
    const directory = new ManifestDirectory("relative/manifests");
    assert.equal(directory.dir, join(process.cwd(), "relative/manifests"));
  });
});

describe("ManifestDirectory: cache", () => {
  it("does not read unchanged files again", async () => {
    const dir = await freshDir();
    for (const name of ["a", "b", "c"]) {
      await writeFile(join(dir, `${name}.yaml`), smallPod(name));
    }
    const directory = new ManifestDirectory(dir, { nowMs: minuteAhead() });

    const first = await directory.scan();
    assert.equal(directory.statistics.reads, 3);
    const second = await directory.scan();
    assert.equal(directory.statistics.reads, 3);
    assert.equal(directory.statistics.parses, 3);
    assert.deepEqual(second.pods, first.pods);
  });

  it("reads only the file that changed", async () => {
    const dir = await freshDir();
    for (const name of ["a", "b"]) {
      await writeFile(join(dir, `${name}.yaml`), smallPod(name));
    }
    const directory = new ManifestDirectory(dir, { nowMs: minuteAhead() });
    await directory.scan();

    await writeFile(join(dir, "b.yaml"), smallPod("b", "sleep 1"));
    const scan = await directory.scan();
    assert.equal(directory.statistics.reads, 3);
    assert.deepEqual(podNamed(scan, "b").containers[0]?.command, ["sh", "-c", "sleep 1"]);
  });

  it("sees a same-size rewrite with the old mtime", async () => {
    const dir = await freshDir();
    const path = join(dir, "a.yaml");
    await writeFile(path, smallPod("a", "sleep 1111"));
    const { mtime } = await stat(path);
    const directory = new ManifestDirectory(dir, { nowMs: minuteAhead() });
    await directory.scan();

    await writeFile(path, smallPod("a", "sleep 2222"));
    await utimes(path, mtime, mtime);
    const scan = await directory.scan();
    assert.deepEqual(podNamed(scan, "a").containers[0]?.command, ["sh", "-c", "sleep 2222"]);
    assert.equal(directory.statistics.reads, 2);
  });

  it("sees a rewrite within one timestamp tick", async () => {
    const dir = await freshDir();
    const path = join(dir, "a.yaml");
    await writeFile(path, smallPod("a", "sleep 1111"));
    // An mtime set far back does not hide the recent change, since the ctime shows it.
    const past = new Date(Date.now() - 60_000);
    await utimes(path, past, past);
    const directory = new ManifestDirectory(dir);
    await directory.scan();
    const beforeRewrite = statSync(path, { bigint: true });

    await writeFile(path, smallPod("a", "sleep 2222"));
    await utimes(path, past, past);
    // A file system with coarse timestamps would show the stat of before the rewrite.
    const coarseStat = (original: typeof statSync) =>
      ((target: string, options?: object) => (target === path ? beforeRewrite : original(target, options as never))) as typeof statSync;
    const scan = await withStatSync(coarseStat, () => directory.scan());
    assert.deepEqual(podNamed(scan, "a").containers[0]?.command, ["sh", "-c", "sleep 2222"]);
  });

  it("stops rereading once the change is old", async () => {
    const dir = await freshDir();
    await writeFile(join(dir, "a.yaml"), smallPod("a"));
    let nowMs = Date.now();
    const directory = new ManifestDirectory(dir, { nowMs: () => nowMs });

    const reads: number[] = [];
    for (const stepMs of [0, 0, 3_000, 0, 0]) {
      nowMs += stepMs;
      await directory.scan();
      reads.push(directory.statistics.reads);
    }
    // The read at the first late scan is needed: the scan before it read the file within the window.
    assert.deepEqual(reads, [1, 2, 3, 3, 3]);
    assert.equal(directory.statistics.parses, 1);
  });

  it("rereads while the mtime is recent", async () => {
    const dir = await freshDir();
    const path = join(dir, "a.yaml");
    await writeFile(path, smallPod("a"));
    const clock = minuteAhead();
    // To this clock the ctime is a minute old, so only the mtime shows the change, as on a file
    // system that does not keep ctime.
    const recent = new Date(clock());
    await utimes(path, recent, recent);
    const directory = new ManifestDirectory(dir, { nowMs: clock });

    await directory.scan();
    await directory.scan();
    assert.equal(directory.statistics.reads, 2);
  });

  it("does not reread a file dated in the future", async () => {
    const dir = await freshDir();
    const path = join(dir, "a.yaml");
    await writeFile(path, smallPod("a"));
    const future = new Date(Date.now() + 3_600_000);
    await utimes(path, future, future);
    const directory = new ManifestDirectory(dir, { nowMs: minuteAhead() });

    await directory.scan();
    const second = await directory.scan();
    assert.equal(directory.statistics.reads, 1);
    assert.deepEqual(keys(second), ["default/a"]);
  });

  it("rereads a recently modified file but parses it once", async () => {
    const dir = await freshDir();
    await writeFile(join(dir, "fresh.yaml"), smallPod("fresh"));
    const directory = new ManifestDirectory(dir);

    await directory.scan();
    const second = await directory.scan();
    assert.equal(directory.statistics.reads, 2);
    assert.equal(directory.statistics.parses, 1);
    assert.deepEqual(keys(second), ["default/fresh"]);
    assert.deepEqual(second.problems, []);
  });
});

describe("ManifestDirectory: duplicates", () => {
  it("keeps the first file in name order", async () => {
    const dir = await freshDir();
    await writeFile(join(dir, "20-web.yaml"), smallPod("web", "echo second"));
    await writeFile(join(dir, "10-web.yaml"), smallPod("web", "echo first"));
    const directory = new ManifestDirectory(dir);

    const scan = await directory.scan();
    assert.deepEqual(keys(scan), ["default/web"]);
    assert.deepEqual(podNamed(scan, "web").containers[0]?.command, ["sh", "-c", "echo first"]);
    assert.equal(podNamed(scan, "web").source.file, join(dir, "10-web.yaml"));
    const warning = `${join(dir, "20-web.yaml")}:1: pod default/web is already defined in ${join(dir, "10-web.yaml")}:1; this definition is ignored`;
    assert.deepEqual(messages(scan.problems), [warning]);
    assert.deepEqual(messages(directory.currentProblems()), [warning]);

    const again = await directory.scan();
    assert.deepEqual(again.problems, []);
    assert.deepEqual(messages(directory.currentProblems()), [warning]);
  });

  it("keeps the first document within a file", async () => {
    const dir = await freshDir();
    const path = join(dir, "web.yaml");
    await writeFile(path, `${smallPod("web", "echo one")}---\n${smallPod("web", "echo two")}`);

    const scan = await new ManifestDirectory(dir).scan();
    assert.deepEqual(podNamed(scan, "web").containers[0]?.command, ["sh", "-c", "echo one"]);
    assert.deepEqual(messages(scan.problems), [`${path}:4: pod default/web is already defined in ${path}:1; this definition is ignored`]);
  });

  it("treats namespaces as part of the key", async () => {
    const dir = await freshDir();
    for (const name of ["web.yaml", "web-other-ns.yaml", "proxy.manifest", "web.yaml.bak"]) {
      await copyFile(join(FIXTURES, "backup-shadow", name), join(dir, name));
    }
    const scan = await new ManifestDirectory(dir).scan();
    assert.deepEqual(keys(scan), ["default/web", "kube-system/proxy", "tinylet-test/web"]);
    assert.equal(podNamed(scan, "web").annotations["tinylet.test/revision"], "v2");
    assert.deepEqual(scan.problems, []);
  });

  it("lets the other file win when the first is deleted", async () => {
    const dir = await freshDir();
    await writeFile(join(dir, "10-web.yaml"), smallPod("web", "echo first"));
    await writeFile(join(dir, "20-web.yaml"), smallPod("web", "echo second"));
    const directory = new ManifestDirectory(dir);
    const before = await directory.scan();

    await writeFile(join(dir, "30-web.yaml"), smallPod("web", "echo third"));
    const added = await directory.scan();
    assert.equal(podNamed(added, "web").uid, podNamed(before, "web").uid);
    assert.equal(added.problems.length, 1);
    assert.match(added.problems[0]?.message ?? "", /30-web\.yaml:1: pod default\/web is already defined in .*10-web\.yaml:1/);

    await unlink(join(dir, "10-web.yaml"));
    const after = await directory.scan();
    assert.deepEqual(podNamed(after, "web").containers[0]?.command, ["sh", "-c", "echo second"]);
    assert.equal(after.problems.length, 1);
    assert.match(after.problems[0]?.message ?? "", /30-web\.yaml:1: pod default\/web is already defined in .*20-web\.yaml:1/);
  });
});

describe("ManifestDirectory: last valid content", () => {
  it("keeps the pods of a file that breaks", async () => {
    const dir = await freshDir();
    const path = join(dir, "app.yaml");
    await writeFile(path, smallPod("app", "echo v1"));
    const directory = new ManifestDirectory(dir);
    const valid = await directory.scan();

    await writeFile(path, "name: app\ncontainers: [\n");
    const broken = await directory.scan();
    assert.deepEqual(broken.pods, valid.pods);
    const expected = [
      `${path}: file has errors, so the pods of its last valid content stay in effect until it is fixed or deleted: default/app`,
      `${path}:3:1: invalid YAML: flow sequence in block collection must be sufficiently indented and end with a ]`,
    ];
    assert.deepEqual(messages(broken.problems), expected);
    assert.deepEqual(messages(directory.currentProblems()), expected);

    await writeFile(path, smallPod("app", "echo v2"));
    const fixed = await directory.scan();
    assert.deepEqual(podNamed(fixed, "app").containers[0]?.command, ["sh", "-c", "echo v2"]);
    assert.deepEqual(fixed.problems, []);
    assert.deepEqual(directory.currentProblems(), []);

    await unlink(path);
    const deleted = await directory.scan();
    assert.deepEqual(deleted.pods, []);
  });

  it("runs no pod of a file with an error", async () => {
    const dir = await freshDir();
    await writeFile(join(dir, "two.yaml"), `${smallPod("good")}---\nname: bad\ncontainers: [{name: main}]\n`);

    const scan = await new ManifestDirectory(dir).scan();
    assert.deepEqual(scan.pods, []);
    assert.deepEqual(messages(scan.problems), [`${join(dir, "two.yaml")}:5:14: containers[0].image: required`]);
  });

  it("keeps the pods of a file emptied", async () => {
    const dir = await freshDir();
    const path = join(dir, "web.yaml");
    await writeFile(path, smallPod("web"));
    const directory = new ManifestDirectory(dir);
    const valid = await directory.scan();

    await truncate(path, 0);
    const emptied = await directory.scan();
    assert.deepEqual(emptied.pods, valid.pods);
    assert.deepEqual(messages(emptied.problems), [
      `${path}: file is empty, so the pods of its last valid content stay in effect until it is fixed or deleted: default/web`,
    ]);
  });

  it("follows a chunked write", async () => {
    const dir = await freshDir();
    const steadyPath = join(dir, "steady.yaml");
    await copyFile(join(FIXTURES, "mixed", "steady.yaml"), steadyPath);
    const appPath = join(dir, "app.yaml");
    const app = await readFile(join(FIXTURES, "mixed", "app.yaml"));
    const directory = new ManifestDirectory(dir);
    const steadyUid = podNamed(await directory.scan(), "steady").uid;

    await writeFile(appPath, "");
    const empty = await directory.scan();
    assert.deepEqual(keys(empty), ["default/steady"]);
    assert.deepEqual(empty.problems, []);

    const cut = app.indexOf("namespace") + 4;
    await appendFile(appPath, app.subarray(0, cut));
    const half = await directory.scan();
    assert.deepEqual(keys(half), ["default/steady"]);
    assert.equal(half.problems.filter((problem) => problem.severity === "error").length, 1);

    await appendFile(appPath, app.subarray(cut));
    const whole = await directory.scan();
    assert.deepEqual(keys(whole), ["default/app", "default/steady"]);
    assert.deepEqual(whole.problems, []);
    assert.equal(podNamed(whole, "steady").uid, steadyUid);
  });

  it("never reads pods from invalid files", async () => {
    const dir = await freshDir();
    for (const name of ["steady.yaml", "broken.yaml", "not-a-pod.yaml", "multi-doc.yaml"]) {
      await copyFile(join(FIXTURES, "mixed", name), join(dir, name));
    }
    const scan = await new ManifestDirectory(dir).scan();
    assert.deepEqual(keys(scan), ["default/first-doc", "default/second-doc", "default/steady"]);
    assert.deepEqual(messages(scan.problems), [
      `${join(dir, "broken.yaml")}:7:1: invalid YAML: tabs are not allowed as indentation (and 1 more syntax error in this document)`,
      `${join(dir, "not-a-pod.yaml")}:3:7: kind DaemonSet is not a Pod; only apiVersion v1, kind Pod manifests are run`,
    ]);
  });
});

describe("ManifestDirectory: problems", () => {
  it("reports problems once per change", async () => {
    const dir = await freshDir();
    const path = join(dir, "bad.yaml");
    await writeFile(path, "name: bad\ncontainers: [{name: main}]\n");
    const directory = new ManifestDirectory(dir);

    const first = await directory.scan();
    const error = `${path}:2:14: containers[0].image: required`;
    assert.deepEqual(messages(first.problems), [error]);

    const unchanged = await directory.scan();
    assert.deepEqual(unchanged.problems, []);
    assert.deepEqual(messages(directory.currentProblems()), [error]);

    await utimes(path, new Date(), new Date(Date.now() + 5_000));
    const touched = await directory.scan();
    assert.deepEqual(touched.problems, []);

    await writeFile(path, "name: bad\ncontainers: [{name: Main, image: x}]\n");
    const edited = await directory.scan();
    assert.equal(edited.problems.length, 1);
    assert.match(edited.problems[0]?.message ?? "", /containers\[0\]\.name: "Main" is not a valid DNS-1123 label/);
  });

  it("reports warnings of a changed file", async () => {
    const dir = await freshDir();
    const path = join(dir, "web.yaml");
    await writeFile(path, "name: web\ncolour: blue\ncontainers: [{name: main, image: x}]\n");
    const directory = new ManifestDirectory(dir);

    const scan = await directory.scan();
    assert.deepEqual(keys(scan), ["default/web"]);
    assert.deepEqual(messages(scan.problems), [
      `${path}:2:1: colour: unknown field; the small format has name, namespace, restartPolicy and containers (use apiVersion v1, kind Pod for more)`,
    ]);
    assert.equal(scan.problems[0]?.severity, "warning");
  });

  it("serialises concurrent scans", async () => {
    const dir = await freshDir();
    await writeFile(join(dir, "bad.yaml"), "kind: Deployment\napiVersion: apps/v1\n");
    const directory = new ManifestDirectory(dir);

    const [first, second] = await Promise.all([directory.scan(), directory.scan()]);
    assert.equal(first.problems.length, 1);
    assert.deepEqual(second.problems, []);
  });
});

describe("ManifestDirectory: editor save", () => {
  it("ends with the new content after an editor save", async () => {
    const dir = await freshDir();
    const path = join(dir, "web.yaml");
    await copyFile(join(FIXTURES, "editor", "web.yaml"), path);
    const directory = new ManifestDirectory(dir);
    const before = podNamed(await directory.scan(), "web");
    assert.deepEqual(before.containers[0]?.command, ["sh", "-c", "echo before-edit; exec sleep 3600"]);

    // The file operations of one vim `:w` with backupcopy=no.
    await writeFile(join(dir, ".web.yaml.swp"), Buffer.from([0x62, 0x30, 0x56, 0x49, 0x4d, 0x00, 0xff]));
    await writeFile(join(dir, "4913"), "");
    const probe = await directory.scan();
    assert.deepEqual(probe.pods, [before]);
    assert.deepEqual(probe.problems, []);
    await unlink(join(dir, "4913"));
    await rename(path, join(dir, "web.yaml~"));
    await copyFile(join(FIXTURES, "editor", "web-edited.yaml"), path);
    await unlink(join(dir, "web.yaml~"));
    await unlink(join(dir, ".web.yaml.swp"));

    const saved = await directory.scan();
    assert.equal(saved.pods.length, 1);
    const after = podNamed(saved, "web");
    assert.deepEqual(after.containers[0]?.command, ["sh", "-c", "echo after-edit; exec sleep 3600"]);
    assert.deepEqual(after.containers[0]?.env, [{ name: "EDITED", value: "yes" }]);
    assert.notEqual(after.uid, before.uid);
    assert.deepEqual(saved.problems, []);
  });

  it("sees no pod while only the backup exists", async () => {
    const dir = await freshDir();
    const path = join(dir, "web.yaml");
    await copyFile(join(FIXTURES, "editor", "web.yaml"), path);
    const directory = new ManifestDirectory(dir);
    await directory.scan();

    await rename(path, join(dir, "web.yaml~"));
    const renamed = await directory.scan();
    assert.deepEqual(renamed.pods, []);

    await copyFile(join(FIXTURES, "editor", "web-edited.yaml"), path);
    const written = await directory.scan();
    assert.deepEqual(keys(written), ["default/web"]);
    assert.deepEqual(written.pods[0]?.containers[0]?.env, [{ name: "EDITED", value: "yes" }]);
  });
});
