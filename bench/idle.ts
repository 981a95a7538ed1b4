/**
 * Idle cost: tinylet with many pods running and nothing to do. CPU time and memory are read from
 * /proc while tinylet makes its periodic passes. The floor of a pass is a bare client that makes
 * the same two List calls, in a process of its own.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { parseDuration } from "../src/cli/duration.js";
import { startFakeCri } from "../test/support/fake-cri.js";
import { delay, WAIT_TIMEOUT_MS, withTinylet, type BenchContext } from "./context.js";
import type { ListFloorResult } from "./list-floor.js";
import { median } from "./stats.js";
import { sampleProcess } from "./proc-stats.js";
import { heapNodeFlags, type TinyletProcess } from "./tinylet-process.js";
import { IMAGE, type BenchPod } from "./workload.js";

const LIST_FLOOR_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), "list-floor.js");


/** Passes to let go by after the last start, so the window contains only idle passes. */
const SETTLE_PASSES = 2;

/**
 * Minimum time from the last start to the window on the fake runtime. tinylet reads a manifest
 * again on each pass while the file is younger than 2 s, and V8 collects the start's garbage for
 * a few seconds more.
 */
const SETTLE_MIN_MS = 6_000;

/**
 * Minimum time from the last start to the window on containerd. After starting 100 pods, V8 keeps
 * collecting and shrinking the heap for several seconds, which belongs to the start, not to idle passes.
 */
const SETTLE_MIN_CONTAINERD_MS = 10_000;

/** One idle measurement. */
export interface IdleResult {
  runtime: "containerd" | "fake";
  pods: number;
  interval: string;
  windowMs: number;
  /** Passes that finished in the window. */
  passes: number;
  /** tinylet's CPU time over the window as a percentage of one core. */
  cpuPercent: number;
  /** tinylet's CPU time per pass, in milliseconds (CPU time of the window divided by its passes). */
  cpuMsPerPass: number;
  /** Median wall time of a pass from its List calls to its end, from tinylet's "pass finished" lines. */
  passWallMs: number;
  /** The floor: CPU and wall time per pair of List calls. */
  listFloor: ListFloorResult;
  rssKiB: number;
  peakRssKiB: number;
  /** From the writes to the last container started, in milliseconds. */
  startAllMs: number;
  /** From the deletes to the last sandbox removed, in milliseconds; undefined when not measured. */
  removeAllMs: number | undefined;
}

/** Runs `pods` on the lab's containerd with default passes (every 2 s) and measures a `windowMs` idle window. */
export async function idleOnContainerd(ctx: BenchContext, pods: readonly BenchPod[], windowMs: number): Promise<IdleResult> {
  return withTinylet(ctx, { name: `idle-containerd-${pods.length}`, maxParallel: 8, logLevel: "debug" }, async (tinylet) =>
    measureIdle(ctx, tinylet, ctx.socket, "containerd", "2s", pods, windowMs, true),
  );
}

/** Runs `pods` on an in-process fake runtime, passes every `interval`, and measures a `windowMs` idle window. */
export async function idleOnFake(ctx: BenchContext, pods: readonly BenchPod[], interval: string, windowMs: number): Promise<IdleResult> {
  const fake = await startFakeCri({ images: [IMAGE] });
  const closeFake = (): Promise<void> => fake.close();
  ctx.closers.add(closeFake);
  try {
    return await withTinylet(
      ctx,
      { name: `idle-fake-${pods.length}`, socket: fake.socketPath, maxParallel: 8, logLevel: "debug", interval },
      async (tinylet) => {
        // The fake records every call; only the count matters here, so drop the record as it grows.
        const trim = setInterval(() => fake.clearCalls(), 1_000);
        try {
          return await measureIdle(ctx, tinylet, fake.socketPath, "fake", interval, pods, windowMs, false);
        } finally {
          clearInterval(trim);
        }
      },
    );
  } finally {
    // The pods stay on the fake runtime and close with it. The manifests are deleted after tinylet
    // stops, so it does not tear the pods down, and before the next run starts.
    await ctx.writer.discard(pods);
    ctx.closers.delete(closeFake);
    await fake.close();
  }
}

async function measureIdle(
  ctx: BenchContext,
  tinylet: TinyletProcess,
  socket: string,
  runtime: IdleResult["runtime"],
  interval: string,
  pods: readonly BenchPod[],
  windowMs: number,
  removeAfter: boolean,
): Promise<IdleResult> {
  const keys = pods.map((pod) => pod.key);
  await ctx.writer.stage(pods);
  let from = tinylet.events.length;
  const writtenAt = Date.now();
  await ctx.writer.publish(pods);
  const started = await tinylet.waitForPods("started container", keys, from, WAIT_TIMEOUT_MS);
  const startAllMs = Math.max(...[...started.values()].map((event) => event.timeMs)) - writtenAt;

  const settleUntil = Date.now() + (runtime === "containerd" ? SETTLE_MIN_CONTAINERD_MS : SETTLE_MIN_MS);
  for (let pass = 0; pass < SETTLE_PASSES; pass++) {
    await tinylet.waitFor("an idle pass", (event) => event.msg === "pass finished", tinylet.events.length, WAIT_TIMEOUT_MS);
  }
  await delay(Math.max(0, settleUntil - Date.now()));

  // The floor makes its List calls at tinylet's interval during the same window, in a process of its own.
  const intervalMs = parseDuration("--interval", interval);
  const floorRun = runListFloor(socket, Math.max(1, Math.round(windowMs / intervalMs)), intervalMs);
  const windowFrom = tinylet.events.length;
  const before = await sampleProcess(tinylet.pid);
  await delay(windowMs);
  const after = await sampleProcess(tinylet.pid);
  const listFloor = await floorRun;
  const passes = tinylet.events.slice(windowFrom).filter((event) => event.msg === "pass finished");
  const busyPasses = passes.filter((event) => event.fields["dispatched"] !== 0);
  if (busyPasses.length > 0) {
    ctx.note(`idle ${runtime} ${pods.length}: ${busyPasses.length} pass(es) in the window had work; the figures include it`);
  }


  let removeAllMs: number | undefined;
  if (removeAfter) {
    from = tinylet.events.length;
    const deletedAt = Date.now();
    await ctx.writer.delete(pods);
    const removed = await tinylet.waitForPods("removed sandbox", keys, from, WAIT_TIMEOUT_MS);
    removeAllMs = Math.max(...[...removed.values()].map((event) => event.timeMs)) - deletedAt;
  }

  const cpuMs = after.cpuMs - before.cpuMs;
  return {
    runtime,
    pods: pods.length,
    interval,
    windowMs: after.atMs - before.atMs,
    passes: passes.length,
    cpuPercent: (cpuMs / (after.atMs - before.atMs)) * 100,
    cpuMsPerPass: passes.length === 0 ? Number.NaN : cpuMs / passes.length,
    passWallMs: median(passes.map((event) => Number(event.fields["durationMs"]))),
    listFloor,
    rssKiB: after.rssKiB,
    peakRssKiB: after.peakRssKiB,
    startAllMs,
    removeAllMs,
  };
}

/** Runs list-floor.js in a child process against `socket`: `pairs` pairs of List calls, one every `intervalMs`. */
async function runListFloor(socket: string, pairs: number, intervalMs: number): Promise<ListFloorResult> {
  const args = [...(await heapNodeFlags()), LIST_FLOOR_SCRIPT, socket, String(pairs), String(intervalMs)];
  const { stdout } = await promisify(execFile)(process.execPath, args, { timeout: 60_000 + pairs * intervalMs });
  return JSON.parse(stdout) as ListFloorResult;
}
