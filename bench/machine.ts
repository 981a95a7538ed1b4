/**
 * The machine's CPU load from /proc/stat and /proc/loadavg. The runtime's work is CPU-bound on a
 * small machine, so a measurement that starts while the kernel still tears down the previous
 * run's containers, or while another job runs, is slower for reasons that are not tinylet's.
 */
import { readFile } from "node:fs/promises";

/** Busy share of all CPUs below which the machine counts as quiet; the report's wording assumes 25 %. */
const QUIET_BUSY_SHARE = 0.25;
/** Window over which the busy share is measured, in milliseconds. */
const QUIET_WINDOW_MS = 300;

interface CpuTicks {
  busy: number;
  total: number;
}

async function readCpuTicks(): Promise<CpuTicks> {
  const line = (await readFile("/proc/stat", "utf8")).split("\n", 1)[0] ?? "";
  // cpu user nice system idle iowait irq softirq steal ...; idle and iowait are the idle ones.
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((sum, value) => sum + value, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: total - idle, total };
}

/** Tracks how often the benchmark had to start a measurement on a busy machine. */
export class QuietWaiter {
  /** Measurements started. */
  waits = 0;
  /** Measurements started although the machine was still busy after `maxWaitMs`. */
  busyStarts = 0;

  constructor(private readonly maxWaitMs: number) {}

  /** Waits until the machine is quiet, for at most maxWaitMs. */
  async waitForQuiet(): Promise<void> {
    this.waits++;
    const deadline = performance.now() + this.maxWaitMs;
    for (;;) {
      const before = await readCpuTicks();
      await new Promise((resolve) => setTimeout(resolve, QUIET_WINDOW_MS));
      const after = await readCpuTicks();
      const share = (after.busy - before.busy) / Math.max(1, after.total - before.total);
      if (share < QUIET_BUSY_SHARE) {
        return;
      }
      if (performance.now() >= deadline) {
        this.busyStarts++;
        return;
      }
    }
  }
}

/** Returns the 1-minute load average. */
export async function loadAverage(): Promise<number> {
  return Number((await readFile("/proc/loadavg", "utf8")).split(" ")[0]);
}
