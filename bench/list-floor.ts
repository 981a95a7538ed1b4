/**
 * The floor of an idle pass, run as its own process so that its CPU time is its own. A bare CRI
 * client makes the two List calls of a tinylet pass (ListPodSandbox and ListContainers with
 * tinylet's label selector) `COUNT` times, then prints the CPU and wall time per pair as JSON.
 *
 * Usage: node dist/bench/list-floor.js SOCKET COUNT
 */
import { CriClient } from "../src/cri/index.js";
import { OWNED_SELECTOR } from "../src/reconcile/labels.js";

/** Pairs made before measuring, so connection setup and JIT compilation are not counted. */
const WARMUP_PAIRS = 5;

/** Result printed on stdout. */
export interface ListFloorResult {
  pairs: number;
  sandboxes: number;
  containers: number;
  /** User plus system CPU time of this process per pair of calls, in milliseconds. */
  cpuMsPerPair: number;
  /** Wall time per pair of calls (made at once, as tinylet makes them), in milliseconds. */
  wallMsPerPair: number;
}

async function main(): Promise<void> {
  const [socketPath, countText] = process.argv.slice(2);
  const count = Number(countText);
  if (socketPath === undefined || !Number.isInteger(count) || count < 1) {
    throw new Error("usage: node dist/bench/list-floor.js SOCKET COUNT");
  }

  const cri = new CriClient({ socketPath });
  try {
    let sizes = { sandboxes: 0, containers: 0 };
    const pair = async (): Promise<void> => {
      const [sandboxes, containers] = await Promise.all([cri.listPodSandbox(OWNED_SELECTOR), cri.listContainers(OWNED_SELECTOR)]);
      sizes = { sandboxes: sandboxes.length, containers: containers.length };
    };
    for (let i = 0; i < WARMUP_PAIRS; i++) {
      await pair();
    }

    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    for (let i = 0; i < count; i++) {
      await pair();
    }
    const cpu = process.cpuUsage(cpuBefore);
    const result: ListFloorResult = {
      pairs: count,
      ...sizes,
      cpuMsPerPair: (cpu.user + cpu.system) / 1000 / count,
      wallMsPerPair: (performance.now() - wallBefore) / count,
    };
    process.stdout.write(JSON.stringify(result) + "\n");
  } finally {
    cri.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`list-floor: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
