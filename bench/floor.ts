/**
 * The floor: a bare CRI client that makes only the calls a pod needs, with the configs tinylet
 * would send, and nothing else (no files, listing, planning or logging).
 */
import type { CriClient } from "../src/cri/index.js";
import type { BenchPod } from "./workload.js";

/** Duration, sandbox IDs and call durations of starting a set of pods. */
export interface FloorStart {
  /** From the first call to the last StartContainer response, in milliseconds. */
  durationMs: number;
  /** Sandbox IDs by pod key. */
  sandboxIds: Map<string, string>;
  /** Duration of each call by method, in milliseconds, in call order. */
  calls: Map<string, number[]>;
}

/** Runs `task` on every item, with at most `parallel` running at once. */
export async function forEachParallel<T>(items: readonly T[], parallel: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, items.length)) }, worker));
}

/** Measures one call, recording its duration under `method`. */
async function timed<T>(calls: Map<string, number[]>, method: string, call: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await call();
  const list = calls.get(method) ?? [];
  list.push(performance.now() - started);
  calls.set(method, list);
  return result;
}

/**
 * Starts the pods with RunPodSandbox, CreateContainer and StartContainer each, at most `parallel`
 * pods at once. The image must be present: the floor pulls it once, before any measurement.
 * Sandboxes created before a failure are in `created`, so the caller can remove them.
 */
export async function floorStart(cri: CriClient, pods: readonly BenchPod[], parallel: number, created: Map<string, string>): Promise<FloorStart> {
  const calls = new Map<string, number[]>();
  const sandboxIds = new Map<string, string>();
  const started = performance.now();

  await forEachParallel(pods, parallel, async (pod) => {
    const sandboxId = await timed(calls, "RunPodSandbox", () => cri.runPodSandbox(pod.sandbox));
    created.set(pod.key, sandboxId);
    sandboxIds.set(pod.key, sandboxId);
    const containerId = await timed(calls, "CreateContainer", () => cri.createContainer(sandboxId, pod.container, pod.sandbox));
    await timed(calls, "StartContainer", () => cri.startContainer(containerId));
  });

  return { durationMs: performance.now() - started, sandboxIds, calls };
}

/**
 * Tears sandboxes down with StopPodSandbox and RemovePodSandbox each, at most `parallel` at once,
 * and returns the time taken in milliseconds. StopPodSandbox kills the containers itself. Removed
 * sandboxes are deleted from `created`.
 */
export async function floorRemove(cri: CriClient, created: Map<string, string>, keys: readonly string[], parallel: number): Promise<number> {
  const started = performance.now();
  await forEachParallel(keys, parallel, async (key) => {
    const sandboxId = created.get(key);
    if (sandboxId === undefined) {
      return;
    }
    await cri.stopPodSandbox(sandboxId);
    await cri.removePodSandbox(sandboxId);
    created.delete(key);
  });
  return performance.now() - started;
}
