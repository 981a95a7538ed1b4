/**
 * How the controller treats a runtime that cannot be reached, against the in-process fake CRI with
 * a test clock. The retry delay doubles to a cap. A start cut short by the outage is retried once
 * the runtime is back, instead of waiting out a container back-off.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { test, type TestContext } from "node:test";

import { status } from "@grpc/grpc-js";

import { CriClient } from "../../../src/cri/index.js";
import { Logger } from "../../../src/log/logger.js";
import { ManifestDirectory } from "../../../src/manifest/index.js";
import { Controller } from "../../../src/reconcile/controller.js";
import { startFakeCri, type FakeCri } from "../../support/fake-cri.js";

const IMAGE = "registry.example/busybox:1.36";
const UNREACHABLE = "connect ECONNREFUSED /run/containerd/containerd.sock";

interface Setup {
  fake: FakeCri;
  controller: Controller;
  logs: string[];
  clock: { nowMs: number };
}

async function setUp(t: TestContext): Promise<Setup> {
  const dir = await mkdtemp(path.join(tmpdir(), "tinylet-runtime-faults-"));
  await mkdir(path.join(dir, "manifests"));
  await writeFile(path.join(dir, "manifests", "web.yaml"), `name: web\ncontainers: [{name: main, image: ${IMAGE}}]\n`);

  const clock = { nowMs: 1_700_000_000_000 };
  const now = (): number => clock.nowMs;
  const fake = await startFakeCri({ images: [IMAGE], now });
  const client = new CriClient({ socketPath: fake.socketPath, callTimeoutMs: 2_000 });
  const logs: string[] = [];
  const controller = new Controller({
    cri: client,
    manifests: new ManifestDirectory(path.join(dir, "manifests")),
    logger: new Logger({ level: "debug", write: (line) => logs.push(line), now }),
    podLogRoot: path.join(dir, "pods"),
    now,
  });
  t.after(async () => {
    await controller.stop(2_000);
    client.close();
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { fake, controller, logs, clock };
}

test("runtime retry delay doubles up to 10 s", async (t) => {
  const { fake, controller, logs, clock } = await setUp(t);
  const expected = [500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000];
  for (let i = 0; i < expected.length; i++) {
    fake.failNext("ListPodSandbox", status.UNAVAILABLE, UNREACHABLE);
  }

  for (const delay of expected) {
    const result = await controller.passAndWait();
    assert.equal(result.runtimeReachable, false);

    // A pass before the delay has passed does not call the runtime at all.
    const calls = fake.calls.length;
    clock.nowMs += delay - 1;
    await controller.passAndWait();
    assert.equal(fake.calls.length, calls, `a pass ${delay - 1} ms into a ${delay} ms delay called the runtime`);
    clock.nowMs += 1;
  }

  const delays = logs.filter((line) => /runtime (still )?unreachable/.test(line)).map((line) => Number(/retryInMs=(\d+)/.exec(line)?.[1]));
  assert.deepEqual(delays, expected);
  assert.equal(logs.filter((line) => /ERROR runtime unreachable/.test(line)).length, 1, "the outage is reported once");

  const back = await controller.passAndWait();
  assert.equal(back.runtimeReachable, true);
  assert.ok(logs.some((line) => /INFO  runtime connected .*previous=unreachable/.test(line)));
});

test("start cut short by an outage is retried without back-off", async (t) => {
  const { fake, controller, logs, clock } = await setUp(t);
  fake.failNext("CreateContainer", status.UNAVAILABLE, UNREACHABLE);

  await controller.passAndWait();
  assert.equal(fake.containers().length, 0, "the first CreateContainer failed");
  assert.ok(logs.some((line) => /failed to start container/.test(line)));
  assert.ok(logs.some((line) => /ERROR runtime unreachable/.test(line)), "the failed start marks the runtime unreachable");

  // One second later, far less than a container back-off of 10 s, the container starts.
  clock.nowMs += 1_000;
  await controller.passAndWait();
  assert.deepEqual(
    fake.containers().map((c) => [c.metadata.name, c.metadata.attempt]),
    [["main", 0]],
  );
  assert.ok(!logs.some((line) => /back-off before restarting container/.test(line)), logs.join("\n"));
});

test("start that the runtime rejects still backs off", async (t) => {
  const { fake, controller, clock } = await setUp(t);
  fake.failNext("CreateContainer", status.INVALID_ARGUMENT, "invalid mount");

  await controller.passAndWait();
  clock.nowMs += 1_000;
  await controller.passAndWait();
  assert.equal(fake.containers().length, 0, "a rejected start waits out its back-off");

  clock.nowMs += 10_000;
  await controller.passAndWait();
  assert.equal(fake.containers().length, 1);
});
