/**
 * The floor of an idle pass, run as its own process so that its CPU time is its own. A bare CRI
 * client makes the two List calls of a tinylet pass (ListPodSandbox and ListContainers with
 * tinylet's label selector) `COUNT` times, one pair every `INTERVAL_MS` as tinylet's passes come,
 * then prints the CPU time per pair as JSON. The CPU time is read from /proc as the benchmark
 * reads tinylet's, over COUNT intervals, so it includes what node costs while it waits.
 *
 * Usage: node dist/bench/list-floor.js SOCKET COUNT INTERVAL_MS
 */
import { CriClient } from "../src/cri/index.js";
import { OWNED_SELECTOR } from "../src/reconcile/labels.js";
import { processCpuMs } from "./proc-stats.js";

/** Pairs made before measuring, so connection setup and JIT compilation are not counted. */
const WARMUP_PAIRS = 5;

/** Result printed on stdout. */
export interface ListFloorResult {
  pairs: number;
  intervalMs: number;
  sandboxes: number;
  containers: number;
  /** CPU time of this process per interval with one pair of calls, in milliseconds. */
  cpuMsPerPair: number;
  /** Median wall time of a pair of calls (made at once, as tinylet makes them), in milliseconds. */
  wallMsPerPair: number;
}

async function main(): Promise<void> {
  const [socketPath, countText, intervalText] = process.argv.slice(2);
  const count = Number(countText);
  const intervalMs = Number(intervalText);
  if (socketPath === undefined || !Number.isInteger(count) || count < 1 || !Number.isInteger(intervalMs) || intervalMs < 1) {
    throw new Error("usage: node dist/bench/list-floor.js SOCKET COUNT INTERVAL_MS");
  }

  const cri = new CriClient({ socketPath });
  try {
    let sizes = { sandboxes: 0, containers: 0 };
    const pair = async (): Promise<number> => {
      const started = performance.now();
      const [sandboxes, containers] = await Promise.all([cri.listPodSandbox(OWNED_SELECTOR), cri.listContainers(OWNED_SELECTOR)]);
      sizes = { sandboxes: sandboxes.length, containers: containers.length };
      return performance.now() - started;
    };
    for (let i = 0; i < WARMUP_PAIRS; i++) {
      await pair();
    }

    const walls: number[] = [];
    const cpuBefore = await processCpuMs("self");
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      await sleepUntil(start + i * intervalMs);
      walls.push(await pair());
    }
    await sleepUntil(start + count * intervalMs);
    const cpuMs = (await processCpuMs("self")) - cpuBefore;

    walls.sort((a, b) => a - b);
    const result: ListFloorResult = {
      pairs: count,
      intervalMs,
      ...sizes,
      cpuMsPerPair: cpuMs / count,
      wallMsPerPair: walls[Math.floor(walls.length / 2)] ?? Number.NaN,
    };
    process.stdout.write(JSON.stringify(result) + "\n");
  } finally {
    cri.close();
  }
}

function sleepUntil(atMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, atMs - performance.now())));
}

main().catch((error: unknown) => {
  process.stderr.write(`list-floor: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
