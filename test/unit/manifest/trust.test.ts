/**
 * Ownership, mode and symbolic link guards of the manifests directory, and the list of a pod's
 * host privileges. Tests that change a file's owner need root and are skipped without it.
 */
import assert from "node:assert/strict";
import { chmod, chown, mkdir, mkdtemp, rename, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { ManifestDirectory, parseManifest, type DirectoryScan } from "../../../src/manifest/index.js";
import { isSensitivePath, podPrivileges } from "../../../src/manifest/privileges.js";
import { checkDirectoryTrust, checkOwnerAndMode, defaultTrustOptions, type TrustOptions } from "../../../src/manifest/trust.js";

const isRoot = process.getuid?.() === 0;
const STRICT: TrustOptions = { trustedUids: [0], allowInsecure: false, allowSymlinksOutside: false };

let root: string;
let counter = 0;

before(async () => {
  root = await mkdtemp(join(tmpdir(), "tinylet-trust-"));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function freshDir(): Promise<string> {
  counter += 1;
  const dir = join(root, `t${counter}`);
  await mkdir(dir, { mode: 0o755 });
  await chmod(dir, 0o755);
  return dir;
}

function pod(name: string): string {
  return `name: ${name}\ncontainers: [{name: main, image: busybox}]\n`;
}

function names(scan: DirectoryScan): string[] {
  return scan.pods.map((p) => p.name);
}

function messages(scan: DirectoryScan, severity: "error" | "warning"): string[] {
  return scan.problems.filter((problem) => problem.severity === severity).map((problem) => problem.message);
}

async function rejectsStartingWith(promise: Promise<unknown>, prefix: string): Promise<void> {
  await assert.rejects(promise, (error: Error) => {
    assert.ok(error.message.startsWith(prefix), error.message);
    return true;
  });
}

/** Builds a stat-like value for checkOwnerAndMode. */
function stats(mode: number, uid = 0, gid = 0): { mode: number; uid: number; gid: number } {
  return { mode, uid, gid };
}

describe("owner and mode checks", () => {
  const CASES: Array<{
    name: string;
    kind: "manifests directory" | "parent directory" | "file";
    mode: number;
    uid?: number;
    gid?: number;
    expected: Array<["error" | "warning", RegExp]>;
  }> = [
    { name: "root-owned 0755 directory", kind: "manifests directory", mode: 0o40755, expected: [] },
    { name: "root-owned 0644 file", kind: "file", mode: 0o100644, expected: [] },
    { name: "group-writable file of group root", kind: "file", mode: 0o100664, expected: [] },
    {
      name: "world-writable directory",
      kind: "manifests directory",
      mode: 0o40777,
      expected: [["error", /^manifests directory is writable by every user \(mode 0777\), so any user could run pods as root; remove that permission \(chmod o-w \/m\), or start tinylet with --allow-insecure-manifests to accept the risk$/]],
    },
    {
      name: "sticky world-writable manifests directory",
      kind: "manifests directory",
      mode: 0o41777,
      expected: [["error", /writable by every user \(mode 1777\)/]],
    },
    { name: "sticky world-writable parent such as /tmp", kind: "parent directory", mode: 0o41777, expected: [] },
    { name: "world-writable parent without sticky bit", kind: "parent directory", mode: 0o40777, expected: [["error", /^parent directory is writable by every user/]] },
    { name: "world-writable file", kind: "file", mode: 0o100666, expected: [["error", /^file is writable by every user \(mode 0666\)/]] },
    {
      name: "file owned by another user",
      kind: "file",
      mode: 0o100644,
      uid: 1000,
      expected: [["error", /^file is owned by uid 1000, so that user could run pods as root; make root own it \(chown root \/m\)/]],
    },
    {
      name: "group-writable directory",
      kind: "manifests directory",
      mode: 0o40775,
      gid: 100,
      expected: [["warning", /^manifests directory is writable by group 100 \(mode 0775\), whose members can run pods as root; if that is not intended, run chmod g-w \/m$/]],
    },
    {
      name: "foreign owner and world-writable at once",
      kind: "file",
      mode: 0o100666,
      uid: 1000,
      expected: [
        ["error", /owned by uid 1000/],
        ["error", /writable by every user/],
      ],
    },
  ];

  for (const testCase of CASES) {
    it(`checks ${testCase.name}`, () => {
      const findings = checkOwnerAndMode("/m", testCase.kind, stats(testCase.mode, testCase.uid, testCase.gid) as never, STRICT);
      assert.equal(findings.length, testCase.expected.length, JSON.stringify(findings));
      testCase.expected.forEach(([severity, pattern], index) => {
        assert.equal(findings[index]?.severity, severity);
        assert.match(findings[index]?.detail ?? "", pattern);
      });
    });
  }

  it("turns refusals into warnings with --allow-insecure-manifests", () => {
    const findings = checkOwnerAndMode("/m", "file", stats(0o100666, 1000) as never, { ...STRICT, allowInsecure: true });
    assert.deepEqual(
      findings.map((finding) => finding.severity),
      ["warning", "warning"],
    );
    assert.match(findings[0]?.detail ?? "", /accepted because of --allow-insecure-manifests$/);
  });

  it("trusts tinylet's own user", () => {
    const options = defaultTrustOptions();
    assert.ok(options.trustedUids.includes(0));
    assert.ok(options.trustedUids.includes(process.getuid?.() ?? 0));
    assert.equal(options.allowInsecure, false);
    assert.equal(options.allowSymlinksOutside, false);
  });
});

describe("manifest directory with trust checks", () => {
  it("reads a directory that only root can write", async () => {
    const dir = await freshDir();
    await writeFile(join(dir, "web.yaml"), pod("web"), { mode: 0o644 });
    const scan = await new ManifestDirectory(dir, { trust: defaultTrustOptions() }).scan();
    assert.deepEqual(names(scan), ["web"]);
    assert.deepEqual(scan.problems, []);
  });

  it("refuses a world-writable directory until it is fixed", async () => {
    const dir = await freshDir();
    await writeFile(join(dir, "web.yaml"), pod("web"));
    await chmod(dir, 0o777);
    const directory = new ManifestDirectory(dir, { trust: defaultTrustOptions() });
    await assert.rejects(directory.scan(), (error: Error) => {
      assert.equal(
        error.message,
        `${dir}: manifests directory is writable by every user (mode 0777), so any user could run pods as root; remove that permission (chmod o-w ${dir}), or start tinylet with --allow-insecure-manifests to accept the risk; no manifest is read until this is fixed`,
      );
      return true;
    });

    await chmod(dir, 0o755);
    assert.deepEqual(names(await directory.scan()), ["web"]);
  });

  it("rejects directory made world-writable later", async () => {
    const dir = await freshDir();
    await writeFile(join(dir, "web.yaml"), pod("web"));
    const directory = new ManifestDirectory(dir, { trust: defaultTrustOptions() });
    assert.deepEqual(names(await directory.scan()), ["web"]);

    await chmod(dir, 0o777);
    await rejectsStartingWith(directory.scan(), `${dir}: manifests directory is writable by every user (mode 0777)`);
    await chmod(dir, 0o755);
    assert.deepEqual(names(await directory.scan()), ["web"]);
  });

  it("rejects parent made world-writable later", async () => {
    const parent = await freshDir();
    const dir = join(parent, "manifests");
    await mkdir(dir);
    const directory = new ManifestDirectory(dir, { trust: defaultTrustOptions() });
    await directory.scan();

    await chmod(parent, 0o777);
    await rejectsStartingWith(directory.scan(), `${parent}: parent directory is writable by every user`);
  });

  it("checks the target of a directory replaced by a link", async () => {
    const dir = await freshDir();
    await writeFile(join(dir, "web.yaml"), pod("web"));
    const directory = new ManifestDirectory(dir, { trust: defaultTrustOptions() });
    assert.deepEqual(names(await directory.scan()), ["web"]);

    const elsewhere = await freshDir();
    await writeFile(join(elsewhere, "intruder.yaml"), pod("intruder"));
    await chmod(elsewhere, 0o777);
    await rename(dir, `${dir}.old`);
    await symlink(elsewhere, dir);
    await rejectsStartingWith(directory.scan(), `${elsewhere}: manifests directory is writable by every user`);

    // Once the target is secure, it is read where it really is, like any linked directory.
    await chmod(elsewhere, 0o755);
    assert.deepEqual(names(await directory.scan()), ["intruder"]);
  });

  it("refuses a world-writable parent directory", async () => {
    const parent = await freshDir();
    const dir = join(parent, "manifests");
    await mkdir(dir);
    await chmod(parent, 0o777);
    await assert.rejects(new ManifestDirectory(dir, { trust: defaultTrustOptions() }).scan(), /parent directory is writable by every user/);
    await chmod(parent, 0o1777);
    assert.deepEqual(names(await new ManifestDirectory(dir, { trust: defaultTrustOptions() }).scan()), []);
  });

  it("reads a world-writable directory with --allow-insecure-manifests", async () => {
    const dir = await freshDir();
    await writeFile(join(dir, "web.yaml"), pod("web"));
    await chmod(dir, 0o777);
    const scan = await new ManifestDirectory(dir, { trust: { ...defaultTrustOptions(), allowInsecure: true } }).scan();
    assert.deepEqual(names(scan), ["web"]);
  });

  it("refuses a world-writable file and keeps its last valid pods", async () => {
    const dir = await freshDir();
    const file = join(dir, "web.yaml");
    await writeFile(file, pod("web"), { mode: 0o644 });
    const directory = new ManifestDirectory(dir, { trust: defaultTrustOptions() });
    const first = await directory.scan();
    assert.deepEqual(names(first), ["web"]);

    await chmod(file, 0o666);
    const insecure = await directory.scan();
    assert.deepEqual(names(insecure), ["web"], "the pod of the trusted content stays");
    assert.deepEqual(messages(insecure, "error"), [
      `${file}: file is writable by every user (mode 0666), so any user could run pods as root; remove that permission (chmod o-w ${file}), or start tinylet with --allow-insecure-manifests to accept the risk`,
    ]);

    // An edit made while the file is insecure is not read.
    await writeFile(file, pod("other"));
    const edited = await directory.scan();
    assert.deepEqual(names(edited), ["web"]);

    await chmod(file, 0o644);
    const fixed = await directory.scan();
    assert.deepEqual(names(fixed), ["other"]);
    assert.deepEqual(messages(fixed, "error"), []);
  });

  it("never reads a new world-writable file", async () => {
    const dir = await freshDir();
    await writeFile(join(dir, "open.yaml"), pod("open"));
    await chmod(join(dir, "open.yaml"), 0o646);
    const scan = await new ManifestDirectory(dir, { trust: defaultTrustOptions() }).scan();
    assert.deepEqual(names(scan), []);
    assert.equal(messages(scan, "error").length, 1);
  });

  it("warns once about a group-writable file and runs it", async () => {
    const dir = await freshDir();
    const file = join(dir, "web.yaml");
    await writeFile(file, pod("web"));
    await chmod(file, 0o664);
    if (isRoot) await chown(file, 0, 100);
    const { gid } = await stat(file);
    assert.notEqual(gid, 0, "the file's group must not be root for this test");
    const directory = new ManifestDirectory(dir, { trust: defaultTrustOptions() });
    const scan = await directory.scan();
    assert.deepEqual(names(scan), ["web"]);
    assert.deepEqual(messages(scan, "warning"), [
      `${file}: file is writable by group ${gid} (mode 0664), whose members can run pods as root; if that is not intended, run chmod g-w ${file}`,
    ]);
    assert.deepEqual((await directory.scan()).problems, [], "reported once");
  });

  it("refuses a file owned by another user", { skip: !isRoot && "changing a file's owner needs root" }, async () => {
    const dir = await freshDir();
    const file = join(dir, "web.yaml");
    await writeFile(file, pod("web"));
    await chown(file, 1000, 1000);
    const scan = await new ManifestDirectory(dir, { trust: defaultTrustOptions() }).scan();
    assert.deepEqual(names(scan), []);
    assert.match(messages(scan, "error")[0] ?? "", /file is owned by uid 1000, so that user could run pods as root/);
  });

  it("skips a symbolic link that leaves the directory", async () => {
    const dir = await freshDir();
    const outside = join(await freshDir(), "target.yaml");
    await writeFile(outside, pod("linked"));
    await symlink(outside, join(dir, "linked.yaml"));
    const scan = await new ManifestDirectory(dir, { trust: defaultTrustOptions() }).scan();
    assert.deepEqual(names(scan), []);
    assert.deepEqual(messages(scan, "error"), [
      `${join(dir, "linked.yaml")}: file is a symbolic link to ${outside}, outside the manifests directory, so it is not read; move the file into the directory, or start tinylet with --allow-symlinks-outside`,
    ]);
  });

  it("reads a link that leaves the directory with --allow-symlinks-outside", async () => {
    const dir = await freshDir();
    const outside = join(await freshDir(), "target.yaml");
    await writeFile(outside, pod("linked"));
    await symlink(outside, join(dir, "linked.yaml"));
    const scan = await new ManifestDirectory(dir, { trust: { ...defaultTrustOptions(), allowSymlinksOutside: true } }).scan();
    assert.deepEqual(names(scan), ["linked"]);
    assert.match(messages(scan, "warning")[0] ?? "", /symbolic link to .*; read because of --allow-symlinks-outside$/);
  });

  it("reads links that stay inside, as a ConfigMap volume lays them out", async () => {
    const dir = await freshDir();
    await mkdir(join(dir, "..v1"));
    await writeFile(join(dir, "..v1", "app.yaml"), pod("app"));
    await symlink("..v1", join(dir, "..data"));
    await symlink(join("..data", "app.yaml"), join(dir, "app.yaml"));
    const scan = await new ManifestDirectory(dir, { trust: defaultTrustOptions() }).scan();
    assert.deepEqual(names(scan), ["app"]);
    assert.deepEqual(scan.problems, []);
  });

  it("checks a link swapped to leave the directory", async () => {
    const dir = await freshDir();
    await mkdir(join(dir, "..v1"));
    await writeFile(join(dir, "..v1", "app.yaml"), pod("app"));
    await symlink("..v1", join(dir, "..data"));
    await symlink(join("..data", "app.yaml"), join(dir, "app.yaml"));
    const directory = new ManifestDirectory(dir, { trust: defaultTrustOptions() });
    assert.deepEqual(names(await directory.scan()), ["app"]);

    const elsewhere = await freshDir();
    await writeFile(join(elsewhere, "app.yaml"), pod("intruder"));
    await symlink(elsewhere, join(dir, "..data_tmp"));
    await rename(join(dir, "..data_tmp"), join(dir, "..data"));
    const scan = await directory.scan();
    assert.deepEqual(names(scan), ["app"], "the pod of the last content read inside stays; the outside file is not read");
    assert.match(messages(scan, "error")[0] ?? "", /outside the manifests directory/);
  });

  it("resolves a manifests directory reached through a link", async () => {
    const real = await freshDir();
    await writeFile(join(real, "web.yaml"), pod("web"));
    const linked = join(await freshDir(), "manifests");
    await symlink(real, linked);
    const scan = await new ManifestDirectory(linked, { trust: defaultTrustOptions() }).scan();
    assert.deepEqual(names(scan), ["web"]);
    assert.deepEqual(scan.problems, []);
    assert.deepEqual(
      (await checkDirectoryTrust(linked, defaultTrustOptions())).filter((finding) => finding.severity === "error"),
      [],
    );
  });
});

describe("pod privileges", () => {
  const podOf = (text: string) => {
    const result = parseManifest("pod.yaml", text);
    assert.deepEqual(result.errors, []);
    return result.pods[0]!;
  };
  const base = ["apiVersion: v1", "kind: Pod", "metadata: {name: web}", "spec:"];

  it("lists nothing for an ordinary pod", () => {
    assert.deepEqual(podPrivileges(podOf([...base, "  containers: [{name: main, image: busybox}]"].join("\n"))), []);
  });

  it("lists privileged containers, host namespaces and sensitive host paths", () => {
    const pod = podOf(
      [
        ...base,
        "  hostNetwork: true",
        "  hostPID: true",
        "  hostIPC: true",
        "  volumes:",
        "  - {name: etc, hostPath: {path: /etc/kubernetes}}",
        "  - {name: logs, hostPath: {path: /var/log/app}}",
        "  - {name: all, hostPath: {path: /}}",
        "  initContainers: [{name: setup, image: busybox, securityContext: {privileged: true}}]",
        "  containers:",
        "  - {name: main, image: busybox, securityContext: {privileged: true}}",
        "  - {name: side, image: busybox, securityContext: {privileged: false}}",
      ].join("\n"),
    );
    assert.deepEqual(podPrivileges(pod), [
      "privileged:setup",
      "privileged:main",
      "hostNetwork",
      "hostPID",
      "hostIPC",
      "hostPath:/etc/kubernetes",
      "hostPath:/",
    ]);
  });

  it("adds paths sensitive on this node", () => {
    const pod = podOf([...base, "  volumes: [{name: m, hostPath: {path: /srv/manifests}}]", "  containers: [{name: main, image: busybox}]"].join("\n"));
    assert.deepEqual(podPrivileges(pod), []);
    assert.deepEqual(podPrivileges(pod, ["/srv/manifests"]), ["hostPath:/srv/manifests"]);
  });

  const PATHS: Array<[string, boolean]> = [
    ["/", true],
    ["/etc", true],
    ["/etc/", true],
    ["/etc/ssl/certs", true],
    ["/var", true],
    ["/var/lib", true],
    ["/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs", true],
    ["/var/log/../../etc", true],
    ["//etc", true],
    ["/var/log", false],
    ["/var/lib/app-data", false],
    ["/srv/data", false],
    ["/etcetera", false],
    ["/opt/cni/bin", false],
  ];
  for (const [path, sensitive] of PATHS) {
    it(`${sensitive ? "flags" : "accepts"} hostPath ${path}`, () => {
      assert.equal(isSensitivePath(path), sensitive);
    });
  }
});
