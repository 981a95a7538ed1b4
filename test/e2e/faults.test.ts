/**
 * Faults tinylet survives, against the lab's real containerd: the runtime stopping and starting
 * again, tinylet killed with SIGKILL at exact steps of a plan (through TINYLET_TEST_CRASH_AT),
 * rapid edits, files written the ways editors and config managers write them, and a shim left
 * behind by a containerd stop. Every test that runs tinylet ends by checking that the runtime
 * contains exactly what the directory requests and nothing more.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, open, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";

import { ContainerState, PodSandboxState } from "../../src/cri/index.js";
import type { CrashStep } from "../../src/reconcile/crash-point.js";
import { desiredPods, SandboxSampler, waitConverged, type DesiredPod } from "./convergence.js";
import { IMAGE, podManifest, requireLab, Runtime, SOCKET, tempDir, Tinylet, waitFor, writeManifest } from "./harness.js";
import { ensureLabUp, labUp, orphanedShims, stopContainerd } from "./lab-control.js";

/** Pauses between the steps of a writer; never used as an assertion. */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A pod whose one container sleeps and prints `version`; a new version is a new pod UID. */
function sleeper(name: string, version: string): string {
  return podManifest(name, `echo ${version}; exec sleep 3600`, { grace: 1 });
}

describe("faults", () => {
  const runtime = new Runtime();
  let manifests: { dir: string; remove: () => Promise<void> };
  let logs: { dir: string; remove: () => Promise<void> };
  /** Every daemon a test started, stopped after it. */
  let daemons: Tinylet[] = [];
  let sampler: SandboxSampler | undefined;

  /** Starts a tinylet on the test's directories and remembers it for cleanup. */
  const start = (args: string[] = [], env: Record<string, string> = {}): Tinylet => {
    // An ephemeral API port, so a daemon never waits for the port of the one killed before it.
    const daemon = new Tinylet(manifests.dir, logs.dir, ["--log-level", "debug", "--status-addr", "127.0.0.1:0", ...args], env);
    daemons.push(daemon);
    return daemon;
  };

  /** Writes a manifest atomically and returns the pods it defines. */
  const put = async (file: string, text: string): Promise<DesiredPod[]> => {
    await writeManifest(manifests.dir, file, text);
    return desiredPods(text);
  };

  before(async () => {
    requireLab();
    await ensureLabUp();
    await runtime.removeAllOwned();
  });

  after(async () => {
    await ensureLabUp();
    await runtime.removeAllOwned();
    runtime.close();
  });

  beforeEach(async () => {
    manifests = await tempDir("manifests");
    logs = await tempDir("logs");
  });

  afterEach(async () => {
    await sampler?.stop();
    sampler = undefined;
    for (const daemon of daemons) {
      await daemon.stop("SIGKILL");
    }
    daemons = [];
    await ensureLabUp();
    await runtime.removeAllOwned();
    await manifests.remove();
    await logs.remove();
  });

  describe("containerd restarts", () => {
    it("reconnects and leaves running pods alone", async () => {
      const steady = await put("steady.yaml", sleeper("steady", "v1"));
      const leaving = await put("leaving.yaml", sleeper("leaving", "v1"));
      const tinylet = start();
      await waitConverged(runtime.cri, [...steady, ...leaving]);
      const before = await runtime.waitRunning("steady", "main");

      await stopContainerd();
      await tinylet.waitForLog(/runtime unreachable/);
      // Changes made while the runtime is down are applied once it is back.
      const arriving = await put("arriving.yaml", sleeper("arriving", "v1"));
      await rm(path.join(manifests.dir, "leaving.yaml"));
      await waitFor("two retries", () => tinylet.count(/runtime still unreachable/) >= 2);
      await labUp();

      await tinylet.waitForLog(/runtime connected .*previous=unreachable/);
      await waitConverged(runtime.cri, [...steady, ...arriving]);
      const after = await runtime.waitRunning("steady", "main");
      assert.equal(after.sandbox.id, before.sandbox.id, "the sandbox of steady is kept");
      assert.equal(after.container.id, before.container.id, "the container of steady is not restarted");
      assert.equal(after.container.metadata?.attempt, 0);

      // The retry delay doubles from 500 ms while the runtime stays down.
      const delays = tinylet.lines
        .filter((line) => /runtime (still )?unreachable/.test(line))
        .map((line) => Number(/retryInMs=(\d+)/.exec(line)?.[1]));
      assert.deepEqual(delays.slice(0, 3), [500, 1000, 2000]);
      assert.equal(tinylet.count(/runtime unreachable/), 1, "the outage is reported once");
    });

    it("converges after containerd is killed mid-reconcile", async () => {
      const desired: DesiredPod[] = [];
      for (let i = 0; i < 6; i++) {
        desired.push(...(await put(`p${i}.yaml`, sleeper(`p${i}`, "v1"))));
      }
      sampler = new SandboxSampler(runtime.cri);
      const tinylet = start(["--max-parallel", "2"]);

      // The first sandbox is made; the other pods are queued or half built when containerd dies.
      await tinylet.waitForLog(/created sandbox/);
      await stopContainerd(true);
      await tinylet.waitForLog(/runtime unreachable/);
      await labUp();

      await waitConverged(runtime.cri, desired, 90_000);
      await sampler.stop();
      assert.deepEqual(sampler.duplicates(), []);
    });
  });

  describe("tinylet killed at a step", () => {
    interface CrashCase {
      name: string;
      step: CrashStep;
      /** Whether `victim` v1 runs first, so that `trigger` makes the daemon reach a teardown step. */
      running: boolean;
      /** Change that leads a running daemon to the step. */
      trigger?: (dir: string) => Promise<void>;
      /** Changes made while tinylet is down; returns the pods the directory then defines. */
      whileDown: (dir: string) => Promise<DesiredPod[]>;
      /** Checks on the runtime left by the crash, before the restart. */
      left: (state: CrashState) => void;
      /** Whether the restarted daemon must keep the sandbox the crashed one left. */
      keepsSandbox: boolean;
    }

    interface CrashState {
      sandboxes: { id: string; ready: boolean; uid: string }[];
      containers: { state: ContainerState; attempt: number }[];
    }

    const v1 = sleeper("victim", "v1");
    const v2 = sleeper("victim", "v2");
    const other = sleeper("other", "v1");

    const CASES: CrashCase[] = [
      {
        name: "finishes a pod left with a sandbox and no container",
        step: "after-run-sandbox",
        running: false,
        whileDown: async () => desiredPods(v1),
        left: ({ sandboxes, containers }) => {
          assert.equal(sandboxes.length, 1);
          assert.equal(sandboxes[0]?.ready, true);
          assert.equal(containers.length, 0);
        },
        keepsSandbox: true,
      },
      {
        name: "replaces a half-built pod whose file changed meanwhile",
        step: "after-run-sandbox",
        running: false,
        whileDown: async (dir) => {
          await writeManifest(dir, "victim.yaml", v2);
          await writeManifest(dir, "other.yaml", other);
          return [...desiredPods(v2), ...desiredPods(other)];
        },
        left: ({ sandboxes, containers }) => {
          assert.equal(sandboxes.length, 1);
          assert.equal(containers.length, 0);
        },
        keepsSandbox: false,
      },
      {
        name: "replaces a container created but never started",
        step: "after-create-container",
        running: false,
        whileDown: async () => desiredPods(v1),
        left: ({ containers }) => {
          assert.deepEqual(
            containers.map((c) => [c.state, c.attempt]),
            [[ContainerState.CONTAINER_CREATED, 0]],
          );
        },
        keepsSandbox: true,
      },
      {
        name: "removes a half-built pod whose file was deleted meanwhile",
        step: "after-create-container",
        running: false,
        whileDown: async (dir) => {
          await rm(path.join(dir, "victim.yaml"));
          return [];
        },
        left: ({ containers }) => assert.equal(containers[0]?.state, ContainerState.CONTAINER_CREATED),
        keepsSandbox: false,
      },
      {
        name: "finishes a teardown cut after the containers stopped",
        step: "after-stop-containers",
        running: true,
        trigger: (dir) => rm(path.join(dir, "victim.yaml")),
        whileDown: async (dir) => {
          await writeManifest(dir, "other.yaml", other);
          return desiredPods(other);
        },
        left: ({ sandboxes, containers }) => {
          assert.equal(sandboxes.length, 1);
          assert.equal(sandboxes[0]?.ready, true, "the sandbox itself was not stopped yet");
          assert.deepEqual(
            containers.map((c) => c.state),
            [ContainerState.CONTAINER_EXITED],
          );
        },
        keepsSandbox: false,
      },
      {
        name: "finishes a replacement cut after the old sandbox stopped",
        step: "after-stop-sandbox",
        running: true,
        trigger: (dir) => writeManifest(dir, "victim.yaml", v2),
        whileDown: async () => desiredPods(v2),
        left: ({ sandboxes }) => {
          assert.deepEqual(
            sandboxes.map((s) => [s.ready, s.uid]),
            [[false, desiredPods(v1)[0]?.uid]],
          );
        },
        keepsSandbox: false,
      },
    ];

    for (const crash of CASES) {
      it(`${crash.name} (${crash.step})`, async () => {
        await writeManifest(manifests.dir, "victim.yaml", v1);
        const env = { TINYLET_TEST_CRASH_AT: `${crash.step}@default/victim` };
        const first = start([], env);
        await first.waitForLog(/crash point armed/);
        if (crash.running) {
          await waitConverged(runtime.cri, desiredPods(v1));
          await crash.trigger?.(manifests.dir);
        }

        const exit = await first.exit;
        assert.equal(exit.signal, "SIGKILL", `tinylet must have killed itself at ${crash.step}`);
        const sandboxes = await runtime.sandboxes("victim");
        const containers = (await Promise.all(sandboxes.map((sandbox) => runtime.containers(sandbox.id)))).flat();
        crash.left({
          sandboxes: sandboxes.map((s) => ({
            id: s.id,
            ready: s.state === PodSandboxState.SANDBOX_READY,
            uid: s.labels["io.kubernetes.pod.uid"] ?? "",
          })),
          containers: containers.map((c) => ({ state: c.state, attempt: c.metadata?.attempt ?? 0 })),
        });

        const desired = await crash.whileDown(manifests.dir);
        const second = start();
        await waitConverged(runtime.cri, desired);
        if (crash.keepsSandbox) {
          const kept = await runtime.waitRunning("victim", "main");
          assert.equal(kept.sandbox.id, sandboxes[0]?.id, "the sandbox left by the crash is used");
        }
        assert.equal(second.count(/pod worker failed/), 0);
      });
    }

    it("converges after repeated SIGKILLs while files churn", async () => {
      const names = ["a", "b", "c", "d"];
      for (const name of names) {
        await writeManifest(manifests.dir, `${name}.yaml`, sleeper(name, "v0"));
      }
      sampler = new SandboxSampler(runtime.cri);

      // Each round edits two pods, deletes or restores a third, and kills tinylet once it has
      // made a given number of changes, so the kill lands in the middle of that round's work.
      for (let round = 1; round <= 4; round++) {
        const daemon = start(["--max-parallel", "2"]);
        await writeManifest(manifests.dir, `${names[round % 4]}.yaml`, sleeper(names[round % 4] as string, `v${round}`));
        await writeManifest(manifests.dir, `${names[(round + 1) % 4]}.yaml`, sleeper(names[(round + 1) % 4] as string, `v${round}`));
        const toggled = path.join(manifests.dir, `${names[(round + 2) % 4]}.yaml`);
        if (round % 2 === 1) {
          await rm(toggled, { force: true });
        } else {
          await writeFile(toggled, sleeper(names[(round + 2) % 4] as string, `v${round}`));
        }
        await waitFor(`${round} changes in round ${round}`, () => daemon.count(/created sandbox|removed sandbox|started container/) >= round);
        await daemon.stop("SIGKILL");
      }

      const desired: DesiredPod[] = [];
      for (const name of names) {
        const text = await readIfExists(path.join(manifests.dir, `${name}.yaml`));
        if (text !== undefined) desired.push(...desiredPods(text));
      }
      start();
      await waitConverged(runtime.cri, desired, 90_000);
      await sampler.stop();
      assert.deepEqual(sampler.duplicates(), []);
    });
  });

  describe("churn", () => {
    it("ends with one pod of the last content after rapid edits", async () => {
      await writeManifest(manifests.dir, "app.yaml", sleeper("app", "e0"));
      sampler = new SandboxSampler(runtime.cri);
      const tinylet = start(["--interval", "100ms"]);
      await runtime.waitRunning("app", "main");

      // Thirty edits a few milliseconds apart, half of them written in place, race file events,
      // timer passes and the pod's worker.
      let last = "";
      for (let i = 1; i <= 30; i++) {
        last = sleeper("app", `e${i}`);
        if (i % 2 === 0) {
          await writeManifest(manifests.dir, "app.yaml", last);
        } else {
          await writeFile(path.join(manifests.dir, "app.yaml"), last);
        }
        await pause((i * 7) % 40);
      }

      await waitConverged(runtime.cri, desiredPods(last));
      await sampler.stop();
      assert.deepEqual(sampler.duplicates(), []);
      assert.ok(sampler.samples > 10, `the sampler saw the runtime ${sampler.samples} times`);
      assert.equal(tinylet.count(/pod worker failed/), 0);
    });
  });

  describe("non-atomic writes", () => {
    it("converges on a large file written in pieces", async () => {
      const final = bigManifest("big", 1500);
      assert.ok(final.length > 60_000, "the manifest spans many writes");
      const tinylet = start();
      await tinylet.waitForLog(/runtime connected/);

      const handle = await open(path.join(manifests.dir, "big.yaml"), "w");
      try {
        const pieces = 12;
        const size = Math.ceil(final.length / pieces);
        for (let offset = 0; offset < final.length; offset += size) {
          await handle.write(final.slice(offset, offset + size));
          await pause(40);
        }
      } finally {
        await handle.close();
      }

      // A piece cut at the end of a line can parse and run for a moment; the whole file wins.
      await waitConverged(runtime.cri, desiredPods(final), 30_000);
    });

    it("keeps the pod while an editor truncates then writes", async () => {
      const v1Pods = await put("edit.yaml", sleeper("edit", "v1"));
      const tinylet = start();
      await waitConverged(runtime.cri, v1Pods);
      const before = await runtime.waitRunning("edit", "main");

      const handle = await open(path.join(manifests.dir, "edit.yaml"), "w");
      try {
        // Two full passes read the empty file before the editor writes its content.
        const passes = tinylet.count(/pass finished/);
        await waitFor("two passes over the empty file", () => tinylet.count(/pass finished/) >= passes + 2);
        const during = await runtime.waitRunning("edit", "main");
        assert.equal(during.container.id, before.container.id, "an empty file keeps the pod running");
        await handle.write(sleeper("edit", "v2"));
      } finally {
        await handle.close();
      }
      await waitConverged(runtime.cri, desiredPods(sleeper("edit", "v2")));
    });

    it("follows a file renamed into the directory", async () => {
      const outside = await tempDir("staging");
      try {
        const tinylet = start();
        await tinylet.waitForLog(/runtime connected/);
        await writeFile(path.join(outside.dir, "moved.yaml"), sleeper("moved", "v1"));
        await rename(path.join(outside.dir, "moved.yaml"), path.join(manifests.dir, "moved.yaml"));
        await waitConverged(runtime.cri, desiredPods(sleeper("moved", "v1")));

        await writeFile(path.join(outside.dir, "moved.yaml"), sleeper("moved", "v2"));
        await rename(path.join(outside.dir, "moved.yaml"), path.join(manifests.dir, "moved.yaml"));
        await waitConverged(runtime.cri, desiredPods(sleeper("moved", "v2")));
      } finally {
        await outside.remove();
      }
    });

    it("follows an editor that renames the old file away", async () => {
      const v1Pods = await put("web.yaml", sleeper("web", "v1"));
      start();
      await waitConverged(runtime.cri, v1Pods);

      // vim with backupcopy=no: the old file becomes web.yaml~ and a new web.yaml is written.
      await rename(path.join(manifests.dir, "web.yaml"), path.join(manifests.dir, "web.yaml~"));
      await writeFile(path.join(manifests.dir, "web.yaml"), sleeper("web", "v2"));
      await rm(path.join(manifests.dir, "web.yaml~"));
      await waitConverged(runtime.cri, desiredPods(sleeper("web", "v2")));
    });

    it("follows a symbolic link swap as config managers do", async () => {
      // The layout of a Kubernetes ConfigMap volume: app.yaml -> ..data/app.yaml, ..data -> ..v1.
      await mkdir(path.join(manifests.dir, "..v1"));
      await writeFile(path.join(manifests.dir, "..v1", "app.yaml"), sleeper("swapped", "v1"));
      await symlink("..v1", path.join(manifests.dir, "..data"));
      await symlink(path.join("..data", "app.yaml"), path.join(manifests.dir, "app.yaml"));
      // A long interval, so only the file events about the swapped links can start a pass in time.
      const tinylet = start(["--interval", "60s"]);
      await waitConverged(runtime.cri, desiredPods(sleeper("swapped", "v1")));

      await mkdir(path.join(manifests.dir, "..v2"));
      await writeFile(path.join(manifests.dir, "..v2", "app.yaml"), sleeper("swapped", "v2"));
      await symlink("..v2", path.join(manifests.dir, "..data_tmp"));
      await rename(path.join(manifests.dir, "..data_tmp"), path.join(manifests.dir, "..data"));
      await rm(path.join(manifests.dir, "..v1"), { recursive: true });
      await waitConverged(runtime.cri, desiredPods(sleeper("swapped", "v2")), 20_000);

      // A link replaced by renaming a new link over it, as `ln -s` into a temporary name and `mv -T` do.
      await writeFile(path.join(manifests.dir, "..v2", "app-v3.yaml"), sleeper("swapped", "v3"));
      await symlink(path.join("..v2", "app-v3.yaml"), path.join(manifests.dir, ".app.yaml.tmp"));
      await rename(path.join(manifests.dir, ".app.yaml.tmp"), path.join(manifests.dir, "app.yaml"));
      await waitConverged(runtime.cri, desiredPods(sleeper("swapped", "v3")), 20_000);
      assert.equal(tinylet.count(/rejected manifest/), 0);
    });
  });

  describe("lab", () => {
    it("lab up ends orphaned shims", async () => {
      // A process with a shim's name and arguments, for a sandbox ID that the runtime does not
      // know, as containerd leaves one when it stops while it creates a sandbox. The name comes
      // from a symbolic link to sh, so both /proc/PID/comm and the command line match.
      const fakeShim = path.join(logs.dir, "containerd-shim-runc-v2");
      await symlink("/bin/sh", fakeShim);
      // It waits on a read of its standard input, a pipe that stays open, so it has no child to outlive it.
      const args = ["-c", "read line", "shim", "-namespace", "k8s.io", "-id", "0".repeat(64), "-address", SOCKET];
      const shim = spawn(fakeShim, args, { stdio: ["pipe", "ignore", "ignore"] });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => shim.once("exit", (_code, signal) => resolve(signal)));
      try {
        const listed = async (): Promise<boolean> => {
          const orphans = await orphanedShims(runtime.cri);
          return orphans.some((orphan) => orphan.startsWith(`shim pid ${shim.pid} `));
        };
        await waitFor("the planted shim to be listed", listed);
        await labUp();
        // `up` kills the shim before it returns, so the exit follows at once. The timer only bounds a failure.
        const outcome = await Promise.race([exited, pause(5_000).then(() => "still running after lab up")]);
        assert.equal(outcome, "SIGKILL");
        assert.deepEqual(await orphanedShims(runtime.cri), []);
      } finally {
        shim.kill("SIGKILL");
      }
    });
  });
});

/** Returns a pod manifest with `variables` environment variables, to make a file of many kilobytes. */
function bigManifest(name: string, variables: number): string {
  const lines = [
    "apiVersion: v1",
    "kind: Pod",
    "metadata:",
    `  name: ${name}`,
    "spec:",
    "  terminationGracePeriodSeconds: 1",
    "  containers:",
    "  - name: main",
    `    image: ${IMAGE}`,
    '    command: ["sh", "-c", "exec sleep 3600"]',
    "    env:",
  ];
  for (let i = 0; i < variables; i++) {
    lines.push(`    - name: VARIABLE_${i}`, `      value: "value number ${i} of a large manifest"`);
  }
  return lines.join("\n") + "\n";
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch {
    return undefined;
  }
}
