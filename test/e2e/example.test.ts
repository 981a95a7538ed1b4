/**
 * The README's example: the manifests shipped in ./manifests run in the lab, and the web pod
 * answers on its hostPort on 127.0.0.1.
 */
import assert from "node:assert/strict";
import { cp } from "node:fs/promises";
import path from "node:path";
import { after, before, it } from "node:test";

import { REPO_ROOT, requireLab, Runtime, runCli, SOCKET, tempDir, Tinylet, waitFor } from "./harness.js";

const runtime = new Runtime();
let tinylet: Tinylet | undefined;
const cleanups: (() => Promise<void>)[] = [];

before(async () => {
  requireLab();
  await runtime.removeAllOwned();
});

after(async () => {
  await tinylet?.stop();
  await runtime.removeAllOwned();
  runtime.close();
  for (const cleanup of cleanups) await cleanup();
});

it("runs the shipped example and serves its page on 127.0.0.1:8080", async () => {
  const manifests = await tempDir("example");
  const logs = await tempDir("example-logs");
  cleanups.push(manifests.remove, logs.remove);
  await cp(path.join(REPO_ROOT, "manifests"), manifests.dir, { recursive: true });

  tinylet = new Tinylet(manifests.dir, logs.dir);
  await runtime.waitRunning("web", "httpd");
  await runtime.waitRunning("ticker", "clock");

  let body = "";
  await waitFor("http://127.0.0.1:8080/ to answer", async () => {
    try {
      const response = await fetch("http://127.0.0.1:8080/");
      body = await response.text();
      return response.ok;
    } catch {
      return false;
    }
  });
  // The page names the pod's host name, so it proves the web pod served it whatever the greeting says.
  assert.match(body, /, pod web\n$/);

  const logsOutput = await runCli(["logs", "default/web", "--socket", SOCKET]);
  assert.equal(logsOutput.code, 0, logsOutput.stderr);
  assert.match(logsOutput.stdout, /^serving \/srv\/www on port 80$/m);
});
