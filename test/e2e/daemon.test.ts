/**
 * The daemon against the lab's real containerd: pods follow files as they come, change and go,
 * survive a tinylet restart untouched, and foreign sandboxes are never touched.
 */
import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";

import { IMAGE, podManifest, requireLab, Runtime, runCli, SOCKET, tempDir, Tinylet, waitFor, writeManifest } from "./harness.js";

describe("tinylet daemon on containerd", () => {
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

  it("starts a pod and shows it in pods, ps and logs", async () => {
    await writeManifest(manifests.dir, "hello.yaml", podManifest("hello", "echo hello-from-e2e; exec sleep 3600"));
    tinylet = new Tinylet(manifests.dir, logs.dir);

    const { sandbox, container } = await runtime.waitRunning("hello", "main");
    assert.equal(sandbox.labels["tinylet"], "true");
    assert.equal(sandbox.labels["io.kubernetes.pod.name"], "hello");
    assert.equal(sandbox.labels["io.kubernetes.pod.namespace"], "default");
    assert.match(sandbox.labels["io.kubernetes.pod.uid"] ?? "", /^[0-9a-f]{32}$/);
    assert.equal(container.labels["io.kubernetes.container.name"], "main");
    assert.equal(container.metadata?.attempt, 0);

    // The daemon's status API lists the sandbox from its next pass on, so the listing may lag a moment.
    let listed: [string | undefined, string][] = [];
    await waitFor("hello in pods -o json", async () => {
      const pods = await runCli(["pods", "--socket", SOCKET, "-o", "json"]);
      assert.equal(pods.code, 0, pods.stderr);
      const items = (JSON.parse(pods.stdout) as { items: { metadata: { name: string; annotations: Record<string, string> } }[] }).items;
      listed = items.map((pod) => [pod.metadata.annotations["tinylet.io/sandbox-id"], pod.metadata.name]);
      return listed[0]?.[0] !== undefined;
    });
    assert.deepEqual(listed, [[sandbox.id, "hello"]]);

    const table = await runCli(["ps", "--socket", SOCKET]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^CONTAINER\s+IMAGE\s+CREATED\s+STATE\s+NAME\s+ATTEMPT\s+POD ID\s+POD$/m);
    assert.match(table.stdout, new RegExp(`^${container.id.slice(0, 13)}\\s+${IMAGE.replace(/[.]/g, "\\.")}\\s+.*Running\\s+main\\s+0\\s+${sandbox.id.slice(0, 13)}\\s+hello$`, "m"));

    await waitFor("container output in logs", async () => {
      const output = await runCli(["logs", "hello", "--socket", SOCKET]);
      return output.code === 0 && output.stdout === "hello-from-e2e\n";
    });
  });

  it("adopts running pods after a restart without touching them", async () => {
    await writeManifest(manifests.dir, "steady.yaml", podManifest("steady", "exec sleep 3600"));
    tinylet = new Tinylet(manifests.dir, logs.dir);
    const first = await runtime.waitRunning("steady", "main");

    assert.equal(await tinylet.stop("SIGTERM"), 0);
    const restarted = new Tinylet(manifests.dir, logs.dir, ["--log-level", "debug"]);
    tinylet = restarted;
    // Three full passes: any change the restart would cause has been made by then.
    await waitFor("three passes", () => restarted.count(/pass finished/) >= 3);
    const again = await runtime.waitRunning("steady", "main");

    assert.equal(again.sandbox.id, first.sandbox.id);
    assert.equal(again.container.id, first.container.id);
    assert.equal(tinylet.count(/created sandbox|started container|removed sandbox|removed container/), 0);
  });

  it("replaces a pod whose file changed and removes the old one", async () => {
    await writeManifest(manifests.dir, "app.yaml", podManifest("app", "echo v1; exec sleep 3600"));
    tinylet = new Tinylet(manifests.dir, logs.dir);
    const v1 = await runtime.waitRunning("app", "main");

    await writeManifest(manifests.dir, "app.yaml", podManifest("app", "echo v2; exec sleep 3600"));
    await waitFor("new sandbox", async () => {
      const sandboxes = await runtime.sandboxes("app");
      return sandboxes.length === 1 && sandboxes[0]?.id !== v1.sandbox.id;
    });
    const v2 = await runtime.waitRunning("app", "main");
    assert.notEqual(v2.sandbox.metadata?.uid, v1.sandbox.metadata?.uid);
    await waitFor("v2 output", async () => (await runCli(["logs", "app", "--socket", SOCKET])).stdout === "v2\n");
  });

  it("tears down a pod whose file was deleted", async () => {
    await writeManifest(manifests.dir, "gone.yaml", podManifest("gone", "exec sleep 3600", { grace: 1 }));
    tinylet = new Tinylet(manifests.dir, logs.dir);
    const { sandbox } = await runtime.waitRunning("gone", "main");
    const podLogDir = path.join(logs.dir, `default_gone_${sandbox.metadata?.uid}`);

    await rm(path.join(manifests.dir, "gone.yaml"));
    await runtime.waitGone("gone");
    assert.deepEqual(await runtime.containers(sandbox.id), []);
    await waitFor("log directory removed", async () => !(await exists(podLogDir)));
  });

  it("never touches a foreign sandbox with the same name", async () => {
    const foreignId = await runtime.cri.runPodSandbox({
      metadata: { name: "web", namespace: "default", uid: "foreign-uid", attempt: 0 },
      labels: { "io.kubernetes.pod.name": "web", "io.kubernetes.pod.namespace": "default" },
      logDirectory: logs.dir,
    });
    try {
      await writeManifest(manifests.dir, "web.yaml", podManifest("web", "exec sleep 3600", { grace: 1 }));
      tinylet = new Tinylet(manifests.dir, logs.dir);
      await runtime.waitRunning("web", "main");
      await rm(path.join(manifests.dir, "web.yaml"));
      await runtime.waitGone("web");

      const foreign = await runtime.cri.podSandboxStatus(foreignId);
      assert.equal(foreign.state, 0, "the foreign sandbox must still be ready");
    } finally {
      await runtime.cri.stopPodSandbox(foreignId).catch(() => undefined);
      await runtime.cri.removePodSandbox(foreignId).catch(() => undefined);
    }
  });

  it("starts an exited container again with the next attempt", async () => {
    await writeManifest(manifests.dir, "crash.yaml", podManifest("crash", "echo run; exit 3"));
    tinylet = new Tinylet(manifests.dir, logs.dir);

    await waitFor(
      "attempt 1 of crash/main",
      async () => {
        const sandbox = (await runtime.sandboxes("crash"))[0];
        if (sandbox === undefined) return false;
        return (await runtime.containers(sandbox.id)).some((c) => c.metadata?.attempt === 1);
      },
      45_000,
    );
    const line = await tinylet.waitForLog(/back-off before restarting container .*container=main/);
    assert.match(line, /reason=CrashLoopBackOff/);
    const sandboxes = await runtime.sandboxes("crash");
    assert.equal(sandboxes.length, 1, "restarts happen in the same sandbox");
  });

  it("reports a broken file while a good one runs", async () => {
    await writeManifest(manifests.dir, "good.yaml", podManifest("good", "exec sleep 3600"));
    await writeFile(path.join(manifests.dir, "broken.yaml"), "apiVersion: v1\nkind: Pod\nmetadata:\n  name: broken\nspec:\n\tcontainers: [\n");
    tinylet = new Tinylet(manifests.dir, logs.dir, ["--log-level", "debug"]);

    await runtime.waitRunning("good", "main");
    const line = await tinylet.waitForLog(/rejected manifest/);
    assert.match(line, /broken\.yaml:\d+:\d+/);
    assert.deepEqual(await runtime.sandboxes("broken"), []);

    // The error is reported once per change, not once per pass.
    const passesSoFar = tinylet.count(/pass finished/);
    await waitFor("three more passes", () => tinylet!.count(/pass finished/) >= passesSoFar + 3);
    assert.equal(tinylet.count(/rejected manifest/), 1);
  });

  it("refuses a second daemon on one runtime", async () => {
    await writeManifest(manifests.dir, "kept.yaml", podManifest("kept", "exec sleep 3600"));
    tinylet = new Tinylet(manifests.dir, logs.dir);
    const first = await runtime.waitRunning("kept", "main");

    // The second daemon's directory is empty: had it started, it would remove the first one's pod.
    const otherManifests = await tempDir("other-manifests");
    try {
      const second = new Tinylet(otherManifests.dir, logs.dir);
      const line = await second.waitForLog(/another tinylet daemon is running/);
      assert.ok(line.includes(`on the runtime at ${SOCKET}`), line);
      assert.equal((await second.exit).code, 1);
    } finally {
      await otherManifests.remove();
    }

    const sandboxes = await runtime.sandboxes("kept");
    assert.deepEqual(sandboxes.map((sandbox) => sandbox.id), [first.sandbox.id]);
    assert.equal(tinylet.count(/removed sandbox|created sandbox/), 1, "only the first start");
  });

  it("keeps running and says why when the socket is missing", async () => {
    const missing = path.join(manifests.dir, "no-such.sock");
    const lonely = new Tinylet(manifests.dir, logs.dir, ["--socket", missing]);
    try {
      const line = await lonely.waitForLog(/runtime unreachable/);
      assert.match(line, new RegExp(`no CRI socket at ${missing.replace(/[.]/g, "\\.")}`));
      assert.doesNotMatch(lonely.lines.join("\n"), /\n\s+at /, "no stack trace");
    } finally {
      assert.equal(await lonely.stop("SIGINT"), 0);
    }
  });
});

async function exists(file: string): Promise<boolean> {
  try {
    await readFile(file);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EISDIR";
  }
}

