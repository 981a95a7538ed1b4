/**
 * Start and teardown scenarios, run by the floor and by tinylet on the same runtime: one pod at a
 * time, and a burst of pods written or deleted at once.
 */
import { ensureRuntimeFree, WAIT_TIMEOUT_MS, withTinylet, type BenchContext } from "./context.js";
import { floorRemove, floorStart } from "./floor.js";
import type { TinyletProcess } from "./tinylet-process.js";
import { prepareFloorFiles, type BenchPod } from "./workload.js";

/** Samples of one repetition, in milliseconds; keys name the scenario and its parallelism. */
export type Samples = Map<string, number[]>;

/** Duration of each floor CRI call, by method, in milliseconds. */
export type CallSamples = Map<string, number[]>;

export function addSample(samples: Samples, key: string, value: number): void {
  const list = samples.get(key) ?? [];
  list.push(value);
  samples.set(key, list);
}

/** Appends every sample of `from` to `into`. */
export function mergeSamples(into: Samples, from: Samples): void {
  for (const [key, values] of from) {
    into.set(key, [...(into.get(key) ?? []), ...values]);
  }
}

/** Sample keys; the report reads the same ones. */
export const KEY = {
  singleStart: (who: string) => `single-start ${who}`,
  singleRemove: (who: string) => `single-remove ${who}`,
  burstStart: (who: string, parallel: number) => `burst-start ${who} ${parallel}`,
  burstRemove: (who: string, parallel: number) => `burst-remove ${who} ${parallel}`,
};

/**
 * Runs the floor's part of one repetition: each single pod started and removed on its own, then
 * the burst started and removed with each parallelism in `parallels`.
 */
export async function floorRepetition(
  ctx: BenchContext,
  singles: readonly BenchPod[],
  burst: readonly BenchPod[],
  parallels: readonly number[],
  samples: Samples,
  calls: CallSamples,
): Promise<void> {
  await ensureRuntimeFree(ctx, ctx.socket);
  await prepareFloorFiles([...singles, ...burst]);

  for (const pod of singles) {
    await ctx.quiet.waitForQuiet();
    const started = await floorStart(ctx.cri, [pod], 1, ctx.floorCreated);
    addSample(samples, KEY.singleStart("floor"), started.durationMs);
    for (const [method, durations] of started.calls) {
      calls.set(method, [...(calls.get(method) ?? []), ...durations]);
    }
    await ctx.quiet.waitForQuiet();
    addSample(samples, KEY.singleRemove("floor"), await floorRemove(ctx.cri, ctx.floorCreated, [pod.key], 1));
  }

  const keys = burst.map((pod) => pod.key);
  for (const parallel of parallels) {
    await ctx.quiet.waitForQuiet();
    const started = await floorStart(ctx.cri, burst, parallel, ctx.floorCreated);
    addSample(samples, KEY.burstStart("floor", parallel), started.durationMs);
    await ctx.quiet.waitForQuiet();
    addSample(samples, KEY.burstRemove("floor", parallel), await floorRemove(ctx.cri, ctx.floorCreated, keys, parallel));
  }
}

/**
 * tinylet's part of one repetition with `--max-parallel maxParallel`: a warm-up pod, each single
 * pod written and deleted on its own, then the burst written and deleted at once.
 */
export async function tinyletRepetition(
  ctx: BenchContext,
  run: { name: string; maxParallel: number },
  warmup: BenchPod | undefined,
  singles: readonly BenchPod[],
  burst: readonly BenchPod[],
  samples: Samples,
): Promise<void> {
  await withTinylet(ctx, run, async (tinylet) => {
    // A fresh process compiles its code paths on first use; a long-running daemon has done so.
    if (warmup !== undefined) {
      await startAndRemove(ctx, tinylet, [warmup]);
    }
    for (const pod of singles) {
      const { startMs, removeMs } = await startAndRemove(ctx, tinylet, [pod]);
      addSample(samples, KEY.singleStart("tinylet"), startMs);
      addSample(samples, KEY.singleRemove("tinylet"), removeMs);
    }
    if (burst.length > 0) {
      const { startMs, removeMs } = await startAndRemove(ctx, tinylet, burst);
      addSample(samples, KEY.burstStart("tinylet", run.maxParallel), startMs);
      addSample(samples, KEY.burstRemove("tinylet", run.maxParallel), removeMs);
    }
  });
}

/**
 * Writes the pods' manifests at once and waits until tinylet logs each container started, then
 * deletes them at once and waits until it logs each sandbox removed. Times run from the first
 * rename or unlink to the last such log line, whose timestamp tinylet takes when the CRI call returns.
 */
export async function startAndRemove(
  ctx: BenchContext,
  tinylet: TinyletProcess,
  pods: readonly BenchPod[],
): Promise<{ startMs: number; removeMs: number }> {
  const keys = pods.map((pod) => pod.key);
  await ctx.writer.stage(pods);

  await ctx.quiet.waitForQuiet();
  let from = tinylet.events.length;
  const writtenAt = Date.now();
  await ctx.writer.publish(pods);
  const started = await tinylet.waitForPods("started container", keys, from, WAIT_TIMEOUT_MS);
  const startMs = Math.max(...[...started.values()].map((event) => event.timeMs)) - writtenAt;

  await ctx.quiet.waitForQuiet();
  from = tinylet.events.length;
  const deletedAt = Date.now();
  await ctx.writer.delete(pods);
  const removed = await tinylet.waitForPods("removed sandbox", keys, from, WAIT_TIMEOUT_MS);
  const removeMs = Math.max(...[...removed.values()].map((event) => event.timeMs)) - deletedAt;

  return { startMs, removeMs };
}
