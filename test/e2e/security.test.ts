/**
 * The daemon's guards against the lab: it rejects a manifests directory other users can write,
 * skips manifest links that leave the directory, and reports pods that ask for host privileges
 * once in its log and in `tinylet pods -o wide`.
 */
import assert from "node:assert/strict";
import { chmod, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";

import { IMAGE, podManifest, requireLab, Runtime, runCli, SOCKET, tempDir, Tinylet, waitFor, writeManifest } from "./harness.js";

/** A pod that requests every privilege tinylet reports. */
const PRIVILEGED = [
  "apiVersion: v1",
  "kind: Pod",
  "metadata:",
  "  name: powerful",
  "spec:",
  "  terminationGracePeriodSeconds: 1",
  "  hostNetwork: true",
  "  hostPID: true",
  "  volumes:",
  "  - name: host-etc",
  "    hostPath: {path: /etc}",
  "  containers:",
  "  - name: main",
  `    image: ${IMAGE}`,
  '    command: ["sh", "-c", "exec sleep 3600"]',
  "    securityContext: {privileged: true}",
  "    volumeMounts:",
  "    - {name: host-etc, mountPath: /host/etc, readOnly: true}",
  "",
].join("\n");

describe("security guards", () => {
  const runtime = new Runtime();
  let manifests: { dir: string; remove: () => Promise<void> };
  let logs: { dir: string; remove: () => Promise<void> };
  let tinylet: Tinylet | undefined;

  before(async () => {
    requireLab();
    await runtime.removeAllOwned();
  });

  after(async () => {
    await runtime.removeAllOwned();
    runtime.close();
  });

  beforeEach(async () => {
    manifests = await tempDir("manifests");
    logs = await tempDir("logs");
  });

  afterEach(async () => {
    await tinylet?.stop();
    tinylet = undefined;
    await runtime.removeAllOwned();
    await manifests.remove();
    await logs.remove();
  });

  it("rejects a world-writable manifests directory", async () => {
    await writeManifest(manifests.dir, "web.yaml", podManifest("web", "exec sleep 3600", { grace: 1 }));
    await chmod(manifests.dir, 0o777);
    tinylet = new Tinylet(manifests.dir, logs.dir);

    const exit = await tinylet.exit;
    assert.equal(exit.code, 1);
    const line = tinylet.lines.find((text) => text.startsWith("tinylet run: "));
    assert.equal(
      line,
      `tinylet run: insecure manifests directory ${manifests.dir}: ${manifests.dir}: manifests directory is writable by every user (mode 0777), so any user could run pods as root; remove that permission (chmod o-w ${manifests.dir}), or start tinylet with --allow-insecure-manifests to accept the risk`,
    );
    assert.deepEqual(await runtime.sandboxes("web"), []);
  });

  it("reads a world-writable directory when told to accept the risk", async () => {
    await writeManifest(manifests.dir, "web.yaml", podManifest("web", "exec sleep 3600", { grace: 1 }));
    await chmod(manifests.dir, 0o777);
    tinylet = new Tinylet(manifests.dir, logs.dir, ["--allow-insecure-manifests"]);

    await runtime.waitRunning("web", "main");
    assert.equal(tinylet.count(/WARN .*--allow-insecure-manifests is set/), 1);
    assert.equal(tinylet.count(/WARN  insecure manifests directory .*writable by every user/), 1);
  });

  it("skips a manifest link that leaves the directory", async () => {
    const outside = await tempDir("outside");
    try {
      await writeFile(path.join(outside.dir, "linked.yaml"), podManifest("linked", "exec sleep 3600", { grace: 1 }));
      await symlink(path.join(outside.dir, "linked.yaml"), path.join(manifests.dir, "linked.yaml"));
      await writeManifest(manifests.dir, "inside.yaml", podManifest("inside", "exec sleep 3600", { grace: 1 }));
      tinylet = new Tinylet(manifests.dir, logs.dir, ["--log-level", "debug"]);

      await runtime.waitRunning("inside", "main");
      const line = await tinylet.waitForLog(/rejected manifest .*linked\.yaml/);
      assert.match(line, /symbolic link to .*outside the manifests directory, so it is not read/);
      const passes = tinylet.count(/pass finished/);
      await waitFor("two more passes", () => tinylet!.count(/pass finished/) >= passes + 2);
      assert.deepEqual(await runtime.sandboxes("linked"), []);

      await tinylet.stop();
      tinylet = new Tinylet(manifests.dir, logs.dir, ["--allow-symlinks-outside"]);
      await runtime.waitRunning("linked", "main");
    } finally {
      await outside.remove();
    }
  });

  it("reports a privileged pod once and in pods -o wide", async () => {
    await writeManifest(manifests.dir, "powerful.yaml", PRIVILEGED);
    tinylet = new Tinylet(manifests.dir, logs.dir, ["--log-level", "debug", "--status-addr", "127.0.0.1:0"]);
    await runtime.waitRunning("powerful", "main", "default", 60_000);

    const line = await tinylet.waitForLog(/pod runs with host privileges/);
    assert.match(line, /pod=default\/powerful .*privileges=privileged:main,hostNetwork,hostPID,hostPath:\/etc/);
    const passes = tinylet.count(/pass finished/);
    await waitFor("three more passes", () => tinylet!.count(/pass finished/) >= passes + 3);
    assert.equal(tinylet.count(/pod runs with host privileges/), 1, "logged once, not on every pass");

    const address = /serving status API addr=(\S+)/.exec(await tinylet.waitForLog(/serving status API/))?.[1] ?? "";
    const wide = await runCli(["pods", "-o", "wide", "--socket", SOCKET, "--status-addr", address]);
    assert.equal(wide.code, 0, wide.stderr);
    assert.match(wide.stdout, /^POD ID\s+NAME\s+NAMESPACE\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+PRIVILEGES$/m);
    assert.match(wide.stdout, /\spowerful\s.*\sprivileged:main,hostNetwork,hostPID,hostPath:\/etc$/m);

    // From the runtime alone, only hostNetwork is known.
    const fromRuntime = await runCli(["pods", "-o", "wide", "--socket", SOCKET, "--status-addr", ""]);
    assert.equal(fromRuntime.code, 0, fromRuntime.stderr);
    assert.match(fromRuntime.stdout, /\spowerful\s.*\shostNetwork$/m);
  });
});
