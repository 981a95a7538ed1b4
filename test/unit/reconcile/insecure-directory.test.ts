/**
 * A manifests directory that becomes writable by every user while tinylet runs: passes fail and
 * change nothing on the runtime, so a file deleted (or added) by another user is not acted on,
 * until the mode is fixed.
 */
import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";

import { CriClient } from "../../../src/cri/index.js";
import { Logger } from "../../../src/log/logger.js";
import { ManifestDirectory } from "../../../src/manifest/index.js";
import { defaultTrustOptions } from "../../../src/manifest/trust.js";
import { Controller } from "../../../src/reconcile/controller.js";
import { startFakeCri } from "../../support/fake-cri.js";

const IMAGE = "registry.example/busybox:1.36";

test("insecure directory freezes the pods until fixed", async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), "tinylet-insecure-"));
  const manifests = path.join(dir, "manifests");
  await mkdir(manifests, { mode: 0o755 });
  await chmod(manifests, 0o755);
  await writeFile(path.join(manifests, "web.yaml"), `name: web\ncontainers: [{name: main, image: ${IMAGE}}]\n`);

  const fake = await startFakeCri({ images: [IMAGE] });
  const client = new CriClient({ socketPath: fake.socketPath, callTimeoutMs: 2_000 });
  const controller = new Controller({
    cri: client,
    manifests: new ManifestDirectory(manifests, { trust: defaultTrustOptions() }),
    logger: new Logger({ level: "error", write: () => undefined }),
    podLogRoot: path.join(dir, "pods"),
  });
  t.after(async () => {
    await controller.stop(2_000);
    client.close();
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  await controller.passAndWait();
  assert.equal(fake.sandboxes().length, 1);

  await chmod(manifests, 0o777);
  await rm(path.join(manifests, "web.yaml"));
  await writeFile(path.join(manifests, "intruder.yaml"), `name: intruder\ncontainers: [{name: main, image: ${IMAGE}}]\n`);
  const callsBefore = fake.calls.length;
  await assert.rejects(controller.passAndWait(), /manifests directory is writable by every user \(mode 0777\)/);
  assert.equal(fake.sandboxes().length, 1, "the pod of the deleted file still runs");
  const health = controller.health();
  assert.equal(health.ok, false, "health reports the failing passes");
  assert.match(health.ok ? "" : health.reason, /writable by every user/);
  assert.ok(
    fake.calls.slice(callsBefore).every((call) => !/^(Run|Stop|Remove|Create|Start)/.test(call.method)),
    "a failed pass changes nothing on the runtime",
  );

  await chmod(manifests, 0o755);
  await controller.passAndWait();
  await controller.passAndWait();
  assert.deepEqual(
    fake.sandboxes().map((sandbox) => sandbox.metadata.name),
    ["intruder"],
    "once fixed, the directory's content is applied",
  );
  assert.equal(controller.health().ok, true);
});
