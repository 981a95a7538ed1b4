/** The CLI's pods from the runtime alone, against the fake CRI, built with the daemon's own configs. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { PodList } from "kubernetes-models/v1/PodList";

import { describeCommand } from "../../../src/cli/describe-command.js";
import { logsCommand } from "../../../src/cli/logs-command.js";
import { CommandError, UsageError } from "../../../src/cli/output.js";
import { loadPods, podsFromRuntime } from "../../../src/cli/pod-source.js";
import { statusColumn } from "../../../src/cli/pod-display.js";
import { CriClient } from "../../../src/cri/index.js";
import type { Pod } from "../../../src/manifest/index.js";
import { containerConfig, sandboxConfig } from "../../../src/reconcile/runtime-config.js";
import { startFakeCri, type FakeCri } from "../../support/fake-cri.js";

const IMAGE = "registry.example/busybox:1.36";

function pod(name: string, restartPolicy: Pod["restartPolicy"]): Pod {
  return {
    uid: `uid-${name}`,
    name,
    namespace: "default",
    labels: { app: name },
    annotations: {},
    restartPolicy,
    terminationGracePeriodSeconds: 5,
    hostNetwork: false,
    initContainers: [],
    containers: [{ name: "main", image: IMAGE, command: ["run"], args: [], env: [], ports: [] }],
    source: { file: `/m/${name}.yaml`, document: 0, line: 1 },
  };
}

describe("pods from the runtime", () => {
  let fake: FakeCri;
  let cri: CriClient;

  before(async () => {
    fake = await startFakeCri({ images: [IMAGE] });
    cri = new CriClient({ socketPath: fake.socketPath });
    for (const [target, exitCode] of [
      [pod("job", "OnFailure"), 0],
      [pod("web", "Always"), undefined],
    ] as const) {
      const sandbox = sandboxConfig(target, 0, "/tmp/tinylet-unused-logs");
      const sandboxId = await cri.runPodSandbox(sandbox);
      const container = target.containers[0];
      assert.ok(container !== undefined);
      const id = await cri.createContainer(sandboxId, containerConfig(target, container, 0), sandbox);
      await cri.startContainer(id);
      if (exitCode !== undefined) fake.exitContainer(id, exitCode);
    }
  });
  after(async () => {
    cri.close();
    await fake.close();
  });

  it("computes phases with the restart policy stored on the sandbox", async () => {
    const list = await podsFromRuntime(cri);
    assert.deepEqual(
      list.items.map((item) => [item.metadata.name, item.status.phase, statusColumn(item)]),
      [
        ["job", "Succeeded", "Completed"],
        ["web", "Running", "Running"],
      ],
    );
    assert.equal(list.items[0]?.spec["restartPolicy"], "OnFailure");
    assert.deepEqual(list.items[1]?.metadata.labels, { app: "web" });
    assert.equal(list.items[1]?.status.containerStatuses[0]?.ready, true);
    assert.doesNotThrow(() => new PodList(list as never).validate());
  });

  it("falls back when the API is down", async () => {
    const loaded = await loadPods({ host: "127.0.0.1", port: 1 }, () => new CriClient({ socketPath: fake.socketPath }), true);
    assert.equal(loaded.source.kind, "runtime");
    assert.match(loaded.source.kind === "runtime" ? loaded.source.reason : "", /status API at 127\.0\.0\.1:1 did not respond \(connection refused\)/);
    assert.equal(loaded.list.items.length, 2);
    assert.deepEqual(loaded.events, []);
  });

  // main exits 1 for a CommandError and 2 for a UsageError.
  it("describe of a missing pod fails", async () => {
    const args = ["nosuch", "--status-addr", "", "--socket", fake.socketPath];
    await assert.rejects(describeCommand(args, () => undefined), (error: unknown) => {
      assert.ok(error instanceof CommandError);
      assert.match((error as Error).message, /pod nosuch not found/);
      return true;
    });
  });

  it("logs of a missing container fails", async () => {
    const args = ["web", "-c", "nope", "--socket", fake.socketPath];
    await assert.rejects(logsCommand(args, () => undefined), (error: unknown) => {
      assert.ok(error instanceof CommandError);
      assert.match((error as Error).message, /container nope not found in pod web; its containers: main/);
      return true;
    });
  });

  it("describe of two pods is a usage error", async () => {
    const args = ["web", "extra", "--status-addr", "", "--socket", fake.socketPath];
    await assert.rejects(describeCommand(args, () => undefined), UsageError);
  });
});
