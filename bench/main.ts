/**
 * `npm run bench`: tinylet's overhead against a bare CRI client on the lab's containerd. Prints a
 * table of scenarios with the floor, tinylet, their ratio and the target, then the details. It is a
 * benchmark, not a test: it exits 0 when it ran, whatever the figures, and 1 only when it could not
 * run. Everything it creates is removed at the end, also after a failure or Ctrl-C.
 *
 * Environment:
 *   TINYLET_SOCKET       CRI socket (default /run/tinylet-lab/containerd.sock, the lab's)
 *   BENCH_REPETITIONS    repetitions of the start and teardown scenarios (default 3)
 *   BENCH_SCENARIOS      comma-separated subset of startup,latency,idle,scaling (default all)
 *   BENCH_CPU_PROF       directory; when set, every tinylet runs under node --cpu-prof and writes
 *                        its profile into a sub-directory named after the run
 *   BENCH_TINYLET_BIN    the tinylet to measure (default this checkout's bin/tinylet), so a
 *                        changed build can be compared with this one
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";

import { nodeSettingsFromFlags } from "../src/cli/node-flags.js";
import { CriClient } from "../src/cri/index.js";
import { runUndisturbed, type BenchContext } from "./context.js";
import { floorRemove } from "./floor.js";
import { idleOnContainerd, idleOnFake, type IdleResult } from "./idle.js";
import { latencyScenario, type StartBreakdown } from "./latency.js";
import { loadAverage, QuietWaiter } from "./machine.js";
import { renderReport } from "./report.js";
import { InterferenceMonitor, removeBenchSandboxes } from "./runtime-guard.js";
import { floorRepetition, mergeSamples, tinyletRepetition, type CallSamples, type Samples } from "./startup.js";
import { daemonFlags, ownTinyletPids } from "./tinylet-process.js";
import { benchPod, benchPods, IMAGE, ManifestWriter, type BenchPod, type PodPlaces } from "./workload.js";

const DEFAULT_SOCKET = "/run/tinylet-lab/containerd.sock";
const SCENARIOS = ["startup", "latency", "idle", "scaling"] as const;
type Scenario = (typeof SCENARIOS)[number];

/** Single pods started per repetition, by the floor and by tinylet. */
const SINGLES_PER_REPETITION = 3;
/** Pods written or deleted at once in the burst scenarios. */
const BURST_SIZE = 30;
/** One pod at a time is the slowest floor and no target's reference, so only the first repetition runs it. */
const FLOOR_SEQUENTIAL_REPETITIONS = 1;
const TINYLET_PARALLELS = [4, 8];
/** The floor runs one pod at a time and at each of tinylet's settings. */
const FLOOR_PARALLELS = [1, ...TINYLET_PARALLELS];
/** Pods written one at a time for the file event latency; p99 of fewer than 100 samples is their maximum. */
const LATENCY_SAMPLES = 30;
/** Pods running on containerd for the idle measurement, and its window in milliseconds: the idle CPU target is a share over a minute. */
const IDLE_PODS = 100;
const IDLE_WINDOW_MS = 60_000;
/** Pod counts on the fake runtime, with a shorter interval so a short window contains enough passes to time. */
const SCALING_PODS = [10, 100, 300];
const SCALING_INTERVAL = "500ms";
const SCALING_WINDOW_MS = 6_000;
/** Maximum wait for a quiet machine before a measurement, in milliseconds. */
const QUIET_MAX_WAIT_MS = 3_000;

function readOptions(): { socket: string; repetitions: number; scenarios: Set<Scenario>; cpuProfDir: string | undefined } {
  const socket = process.env["TINYLET_SOCKET"] || DEFAULT_SOCKET;
  const repetitions = Number(process.env["BENCH_REPETITIONS"] || "3");
  if (!Number.isInteger(repetitions) || repetitions < 1) {
    throw new Error(`invalid BENCH_REPETITIONS "${process.env["BENCH_REPETITIONS"]}": expected a whole number of at least 1`);
  }
  const scenarios = new Set<Scenario>();
  for (const name of (process.env["BENCH_SCENARIOS"] || SCENARIOS.join(",")).split(",")) {
    if (!(SCENARIOS as readonly string[]).includes(name.trim())) {
      throw new Error(`invalid BENCH_SCENARIOS entry "${name}": expected a comma-separated list of ${SCENARIOS.join(", ")}`);
    }
    scenarios.add(name.trim() as Scenario);
  }
  const cpuProfDir = process.env["BENCH_CPU_PROF"] ? path.resolve(process.env["BENCH_CPU_PROF"]) : undefined;
  return { socket, repetitions, scenarios, cpuProfDir };
}

async function main(): Promise<number> {
  const options = readOptions();
  if (!existsSync(options.socket)) {
    throw new Error(`no CRI socket at ${options.socket}: start the lab with 'bash lab/lab.sh up' (npm run bench does this)`);
  }
  const note = (line: string): void => void process.stderr.write(`bench: ${line}\n`);
  const startedAt = performance.now();
  const loadAtStart = await loadAverage();

  // Flags that only newer builds have are passed when the tinylet being measured lists them.
  const flags = await daemonFlags();
  const cri = new CriClient({ socketPath: options.socket });
  const version = await cri.version();
  const workDir = await mkdtemp(path.join(tmpdir(), "tinylet-bench-"));
  const manifestsDir = path.join(workDir, "manifests");
  const podLogRoot = path.join(workDir, "pod-logs");
  const stateDir = path.join(workDir, "state");
  await mkdir(manifestsDir);
  await mkdir(podLogRoot);
  await mkdir(stateDir);

  const daemonArgs = [
    ...(flags.has("--state-dir") ? ["--state-dir", stateDir] : []),
    // The read-only HTTP API stays on, as by default, but on a free port.
    ...(flags.has("--status-addr") ? ["--status-addr", "127.0.0.1:0"] : []),
  ];
  const places: PodPlaces = { manifestsDir, podLogRoot, node: nodeSettingsFromFlags({ "state-dir": stateDir }) };
  if (options.cpuProfDir !== undefined) {
    await mkdir(options.cpuProfDir, { recursive: true });
  }

  const ctx: BenchContext = {
    socket: options.socket,
    cri,
    workDir,
    places,
    daemonArgs,
    writer: await ManifestWriter.create(workDir, manifestsDir),
    floorCreated: new Map(),
    quiet: new QuietWaiter(QUIET_MAX_WAIT_MS),
    monitor: new InterferenceMonitor(() => ownTinyletPids),
    tinylet: undefined,
    closers: new Set(),
    cpuProfDir: options.cpuProfDir,
    note,
  };

  let cleaned: Promise<void> | undefined;
  const cleanup = (): Promise<void> => (cleaned ??= cleanUp(ctx));
  const interrupt = (signal: NodeJS.Signals): void => {
    note(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);

  const samples: Samples = new Map();
  const floorCalls: CallSamples = new Map();
  let latency: StartBreakdown[] = [];
  const idle: IdleResult[] = [];
  try {
    // The floor pulls the image once; tinylet calls ImageStatus before each container and pulls only when the image is absent.
    const pullStarted = performance.now();
    await cri.pullImage(IMAGE);
    note(`pulled ${IMAGE} (already present) in ${Math.round(performance.now() - pullStarted)} ms`);

    if (options.scenarios.has("startup")) {
      const singles = benchPods(places, "single", SINGLES_PER_REPETITION);
      const burst = benchPods(places, "burst", BURST_SIZE);
      const warmup = benchPod(places, "warmup");
      // One untimed pod for the floor too, so both sides start with a warm connection and runtime.
      await runUndisturbed(ctx, "floor warm-up", () => floorRepetition(ctx, [warmup], [], [], new Map(), new Map()));

      for (let repetition = 1; repetition <= options.repetitions; repetition++) {
        const label = `startup ${repetition}/${options.repetitions}`;
        // The runtime's speed drifts over tens of seconds here, so each floor burst runs next to
        // tinylet's burst at the same parallelism, and the single pods go with the first pair.
        const runFloor = async (parallel: number, runSingles: readonly BenchPod[]): Promise<void> => {
          note(`${label}: floor, ${parallel} at once`);
          const run = await runUndisturbed(ctx, `${label}: floor`, async () => {
            const run = { samples: new Map() as Samples, calls: new Map() as CallSamples };
            await floorRepetition(ctx, runSingles, burst, [parallel], run.samples, run.calls);
            return run;
          });
          mergeSamples(samples, run.samples);
          mergeSamples(floorCalls, run.calls);
        };
        const runTinylet = async (maxParallel: number, runSingles: readonly BenchPod[]): Promise<void> => {
          note(`${label}: tinylet --max-parallel ${maxParallel}`);
          const run = await runUndisturbed(ctx, `${label}: tinylet --max-parallel ${maxParallel}`, async () => {
            const runSamples: Samples = new Map();
            await tinyletRepetition(ctx, { name: `startup-r${repetition}-mp${maxParallel}`, maxParallel }, warmup, runSingles, burst, runSamples);
            return runSamples;
          });
          mergeSamples(samples, run);
        };

        if (repetition <= FLOOR_SEQUENTIAL_REPETITIONS) {
          await runFloor(1, []);
        }
        for (const [index, parallel] of TINYLET_PARALLELS.entries()) {
          // Single pods do not depend on --max-parallel, so only the first pair runs them.
          const runSingles = index === 0 ? singles : [];
          const pair = [() => runFloor(parallel, runSingles), () => runTinylet(parallel, runSingles)];
          // Alternating which side goes first cancels a drift within the pair.
          if ((repetition + index) % 2 === 0) pair.reverse();
          for (const run of pair) {
            await run();
          }
        }
      }
    }

    if (options.scenarios.has("latency")) {
      note(`latency: ${LATENCY_SAMPLES} pods written one at a time`);
      const warmup = benchPod(places, "latency-warmup");
      const pods = benchPods(places, "latency", LATENCY_SAMPLES);
      latency = await runUndisturbed(ctx, "latency", () => latencyScenario(ctx, warmup, pods));
    }

    if (options.scenarios.has("idle")) {
      note(`idle: ${IDLE_PODS} pods on containerd, ${IDLE_WINDOW_MS / 1000} s window`);
      const pods = benchPods(places, "idle", IDLE_PODS);
      idle.push(await runUndisturbed(ctx, "idle", () => idleOnContainerd(ctx, pods, IDLE_WINDOW_MS)));
    }

    if (options.scenarios.has("scaling")) {
      for (const count of SCALING_PODS) {
        note(`scaling: ${count} pods on the fake runtime, ${SCALING_WINDOW_MS / 1000} s window`);
        const pods = benchPods(places, "scale", count);
        idle.push(await runUndisturbed(ctx, `scaling ${count}`, () => idleOnFake(ctx, pods, SCALING_INTERVAL, SCALING_WINDOW_MS)));
      }
    }
  } finally {
    await cleanup();
  }

  process.stdout.write(
    renderReport({
      runtime: `${version.runtimeName} ${version.runtimeVersion}`,
      cpus: availableParallelism(),
      node: process.version,
      repetitions: options.repetitions,
      burstSize: BURST_SIZE,
      floorParallels: FLOOR_PARALLELS,
      tinyletParallels: TINYLET_PARALLELS,
      samples,
      floorCalls,
      latency,
      idle,
      profiled: options.cpuProfDir !== undefined,
      loadAtStart,
      busyStarts: ctx.quiet.busyStarts,
      measurements: ctx.quiet.waits,
      quietWaitMs: QUIET_MAX_WAIT_MS,
    }) + "\n",
  );
  note(`finished in ${Math.round((performance.now() - startedAt) / 1000)} s`);
  return 0;
}

/** Stops what the run started and removes every sandbox and file it created; logs each failure instead of throwing. */
async function cleanUp(ctx: BenchContext): Promise<void> {
  const attempt = async (what: string, step: () => Promise<unknown>): Promise<void> => {
    try {
      await step();
    } catch (error) {
      ctx.note(`cleanup: failed to ${what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  ctx.monitor.stop();
  await attempt("stop tinylet", async () => ctx.tinylet?.stop());
  for (const close of ctx.closers) {
    await attempt("stop a proxy or fake runtime", close);
  }
  await attempt("remove the floor's sandboxes", () => floorRemove(ctx.cri, ctx.floorCreated, [...ctx.floorCreated.keys()], 4));
  await attempt("remove leftover benchmark sandboxes", async () => {
    const removed = await removeBenchSandboxes(ctx.cri);
    if (removed > 0) {
      ctx.note(`cleanup: removed ${removed} benchmark sandbox(es) left on the runtime`);
    }
  });
  await attempt("remove the staging directory", () => ctx.writer.close());
  await attempt(`remove ${ctx.workDir}`, () => rm(ctx.workDir, { recursive: true, force: true }));
  ctx.cri.close();
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench: failed: ${error instanceof Error ? error.message : String(error)}\n`);
    if (process.env["TINYLET_DEBUG"] && error instanceof Error) {
      process.stderr.write(`${error.stack}\n`);
    }
    process.exitCode = 1;
  },
);
