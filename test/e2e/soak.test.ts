/**
 * Soak test against the lab: a randomized but replayable sequence of adds, edits, deletes,
 * container kills, tinylet restarts and containerd restarts. After each round of a few steps it
 * waits for a quiet runtime and checks that it matches the directory exactly, and that no
 * container was restarted that nothing asked to restart.
 *
 * TINYLET_SOAK_SEED replays a run, and the seed is printed at the start and in every failure.
 * TINYLET_SOAK_STEPS sets the number of steps: 240 by default, a few thousand for a manual run.
 */
import assert from "node:assert/strict";
import { open, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { ContainerState, type Container } from "../../src/cri/index.js";
import { CONTAINER_NAME_LABEL, POD_NAME_LABEL } from "../../src/reconcile/labels.js";
import { desiredPods, SandboxSampler, waitConverged, type DesiredPod } from "./convergence.js";
import { IMAGE, requireLab, Runtime, tempDir, Tinylet, writeManifest } from "./harness.js";
import { ensureLabUp, labUp, orphanedShims, stopContainerd } from "./lab-control.js";

const DEFAULT_STEPS = 240;
const steps = Number(process.env["TINYLET_SOAK_STEPS"] ?? DEFAULT_STEPS);
const seed = Number(process.env["TINYLET_SOAK_SEED"] ?? Math.floor(Math.random() * 2 ** 31));

/** Pod names the sequence draws from; a small pool makes re-adds and edits of one pod frequent. */
const NAMES = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"];

/** Maximum number of steps in one round before the runtime is checked. */
const MAX_ROUND_STEPS = 5;

/** How long a round may take to converge: a killed container waits out a 10 s back-off first. */
const CONVERGE_TIMEOUT_MS = 60_000;

/** An ephemeral API port, so a restarted daemon never waits for the port of the one before. */
const DAEMON_ARGS = ["--status-addr", "127.0.0.1:0"];

/** Log lines of a failure that no step of the sequence should cause. */
const FAILURE = /pod worker failed|reconcile pass failed/;

/** mulberry32: a small seeded generator, so a seed replays the same sequence. */
function prng(start: number): () => number {
  let state = start >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Action = "add" | "edit" | "rewrite" | "delete" | "kill-container" | "restart-tinylet" | "restart-containerd";

/** Relative weight of each action. */
const WEIGHTS: ReadonlyArray<[Action, number]> = [
  ["add", 22],
  ["edit", 24],
  ["rewrite", 8],
  ["delete", 14],
  ["kill-container", 2],
  ["restart-tinylet", 8],
  ["restart-containerd", 3],
];

/** Returns a pod manifest with one or two sleeping containers; `version` changes the pod's UID. */
function manifest(name: string, version: number, containers: number): string {
  const lines = [
    "apiVersion: v1",
    "kind: Pod",
    "metadata:",
    `  name: ${name}`,
    "  namespace: soak",
    "spec:",
    "  terminationGracePeriodSeconds: 1",
    "  containers:",
  ];
  for (let i = 0; i < containers; i++) {
    lines.push(`  - name: c${i}`, `    image: ${IMAGE}`, `    command: ["sh", "-c", "echo ${name} v${version}; exec sleep 3600"]`);
  }
  return lines.join("\n") + "\n";
}

describe("soak", () => {
  const runtime = new Runtime();
  let manifests: { dir: string; remove: () => Promise<void> };
  let logs: { dir: string; remove: () => Promise<void> };
  let tinylet: Tinylet | undefined;
  let sampler: SandboxSampler | undefined;

  before(async () => {
    requireLab();
    await ensureLabUp();
    await runtime.removeAllOwned();
    manifests = await tempDir("soak-manifests");
    logs = await tempDir("soak-logs");
  });

  after(async () => {
    await sampler?.stop();
    await tinylet?.stop("SIGKILL");
    await ensureLabUp();
    await runtime.removeAllOwned();
    runtime.close();
    await manifests.remove();
    await logs.remove();
  });

  it(`keeps the runtime equal to the directory over ${steps} random steps`, async (t) => {
    t.diagnostic(`seed ${seed} (replay with TINYLET_SOAK_SEED=${seed}), ${steps} steps`);
    const random = prng(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const chooseAction = (): Action => {
      let roll = random() * WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0);
      for (const [action, weight] of WEIGHTS) {
        roll -= weight;
        if (roll < 0) return action;
      }
      return "edit";
    };

    /** Content of each file present, by pod name. */
    const files = new Map<string, { version: number; containers: number }>();
    /** Containers killed this pod version, as `name/container`, so each waits out a back-off once. */
    const killed = new Set<string>();
    const counts = new Map<Action, number>();
    let version = 0;
    /** Worker and pass failures logged by daemons that were since restarted. */
    let failures = 0;
    sampler = new SandboxSampler(runtime.cri, 100);
    /** Set when a daemon exits that the sequence did not stop, with its last lines. */
    let died: string | undefined;
    const startDaemon = (): Tinylet => {
      const daemon = new Tinylet(manifests.dir, logs.dir, DAEMON_ARGS);
      void daemon.exit.then((status) => {
        if (daemon === tinylet && !stopping) died = `tinylet exited (${status.code ?? status.signal}) on its own:\n${daemon.lines.slice(-15).join("\n")}`;
      });
      return daemon;
    };
    let stopping = false;
    tinylet = startDaemon();

    const desired = (): DesiredPod[] =>
      [...files].flatMap(([name, file]) => desiredPods(manifest(name, file.version, file.containers)));
    const fail = (step: number, error: unknown): never => {
      const reason = died ?? (error instanceof Error ? error.message : String(error));
      throw new Error(`soak failed after step ${step} (seed ${seed}; replay with TINYLET_SOAK_SEED=${seed}): ${reason}`);
    };

    let step = 0;
    while (step < steps) {
      const runningBefore = await runningContainers(runtime);
      /** Pods whose containers this round may legitimately restart. */
      const touched = new Set<string>();
      const roundSteps = 1 + Math.floor(random() * MAX_ROUND_STEPS);

      for (let i = 0; i < roundSteps && step < steps; i++, step++) {
        const action = chooseAction();
        counts.set(action, (counts.get(action) ?? 0) + 1);
        const absent = NAMES.filter((name) => !files.has(name));
        const present = [...files.keys()];

        switch (action) {
          case "add": {
            if (absent.length === 0) break;
            const name = pick(absent);
            files.set(name, { version: ++version, containers: 1 + Math.floor(random() * 2) });
            await writeManifest(manifests.dir, `${name}.yaml`, manifest(name, version, files.get(name)!.containers));
            touched.add(name);
            break;
          }
          case "edit": {
            if (present.length === 0) break;
            const name = pick(present);
            const file = { version: ++version, containers: 1 + Math.floor(random() * 2) };
            files.set(name, file);
            const text = manifest(name, file.version, file.containers);
            if (random() < 0.5) {
              await writeManifest(manifests.dir, `${name}.yaml`, text);
            } else {
              // In place, as an editor that truncates and writes in two pieces.
              const handle = await open(path.join(manifests.dir, `${name}.yaml`), "w");
              await handle.write(text.slice(0, text.length >> 1));
              await pause(random() * 30);
              await handle.write(text.slice(text.length >> 1));
              await handle.close();
            }
            touched.add(name);
            for (const key of [...killed]) if (key.startsWith(`${name}/`)) killed.delete(key);
            break;
          }
          case "rewrite": {
            // The same content written again must change nothing.
            if (present.length === 0) break;
            const name = pick(present);
            const file = files.get(name)!;
            await writeFile(path.join(manifests.dir, `${name}.yaml`), manifest(name, file.version, file.containers));
            break;
          }
          case "delete": {
            if (present.length === 0) break;
            const name = pick(present);
            files.delete(name);
            await rm(path.join(manifests.dir, `${name}.yaml`));
            touched.add(name);
            for (const key of [...killed]) if (key.startsWith(`${name}/`)) killed.delete(key);
            break;
          }
          case "kill-container": {
            const candidates = [...runningBefore.values()].filter(
              (c) => files.has(c.pod) && !touched.has(c.pod) && !killed.has(`${c.pod}/${c.container}`),
            );
            if (candidates.length === 0) break;
            const victim = pick(candidates);
            await runtime.cri.stopContainer(victim.id, 0).catch(() => undefined);
            killed.add(`${victim.pod}/${victim.container}`);
            touched.add(victim.pod);
            break;
          }
          case "restart-tinylet": {
            stopping = true;
            await tinylet.stop(random() < 0.5 ? "SIGKILL" : "SIGTERM");
            stopping = false;
            failures += tinylet.count(FAILURE);
            tinylet = startDaemon();
            break;
          }
          case "restart-containerd": {
            await stopContainerd(random() < 0.5);
            await pause(random() * 1_000);
            await labUp();
            break;
          }
        }
        await pause(random() * 150);
      }

      try {
        await waitConverged(runtime.cri, desired(), CONVERGE_TIMEOUT_MS);
      } catch (error) {
        fail(step, error);
      }

      // Containers of pods that nothing touched this round keep running, whatever restarted.
      const now = await runningContainers(runtime);
      for (const [id, container] of runningBefore) {
        if (touched.has(container.pod) || !files.has(container.pod)) continue;
        if (!now.has(id)) {
          fail(step, new Error(`container ${container.pod}/${container.container} (${id.slice(0, 13)}) was restarted although nothing asked for it`));
        }
      }
    }

    await sampler.stop();
    t.diagnostic(`actions: ${[...counts].map(([action, count]) => `${action}=${count}`).join(" ")}; ${sampler.samples} samples`);
    assert.deepEqual(sampler.duplicates(), [], `seed ${seed}`);
    assert.equal(failures + tinylet.count(FAILURE), 0, `seed ${seed}`);
    // A containerd stop during RunPodSandbox can leave a shim that containerd never recorded. Once
    // tinylet has removed that sandbox, `lab.sh up` must end the shim.
    await labUp();
    assert.deepEqual(await orphanedShims(runtime.cri), [], `seed ${seed}`);
  });
});

interface RunningContainer {
  id: string;
  pod: string;
  container: string;
}

/** Running containers tinylet owns in the soak namespace, by ID. */
async function runningContainers(runtime: Runtime): Promise<Map<string, RunningContainer>> {
  const containers: Container[] = await runtime.containers();
  const running = new Map<string, RunningContainer>();
  for (const container of containers) {
    if (container.state !== ContainerState.CONTAINER_RUNNING) continue;
    running.set(container.id, {
      id: container.id,
      pod: container.labels[POD_NAME_LABEL] ?? "",
      container: container.labels[CONTAINER_NAME_LABEL] ?? "",
    });
  }
  return running;
}

/** Pauses between steps; never used as an assertion. */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
