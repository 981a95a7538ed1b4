/**
 * CPU time and memory of another process, read from Linux's /proc as `top` and `ps` read them.
 * CPU time comes in clock ticks (USER_HZ, 100 per second on Linux), so a reading is exact to 10 ms.
 */
import { readFile } from "node:fs/promises";

/** Clock ticks per second of the utime and stime fields (USER_HZ; 100 on every Linux architecture tinylet runs on). */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time and memory of a process at one moment. */
export interface ProcessSample {
  /** Monotonic time of the reading, in milliseconds (performance.now()). */
  atMs: number;
  /** User plus system CPU time of all the process's threads, in milliseconds. */
  cpuMs: number;
  /** Resident set size (VmRSS), in KiB. */
  rssKiB: number;
  /** Peak resident set size (VmHWM), in KiB. */
  peakRssKiB: number;
}

/** Reads CPU time and memory of process `pid`; throws when the process is gone. */
export async function sampleProcess(pid: number): Promise<ProcessSample> {
  const [stat, status] = await Promise.all([readFile(`/proc/${pid}/stat`, "utf8"), readFile(`/proc/${pid}/status`, "utf8")]);
  return { atMs: performance.now(), cpuMs: cpuMsOf(stat), rssKiB: statusKiB(status, "VmRSS"), peakRssKiB: statusKiB(status, "VmHWM") };
}

/** Returns utime + stime of a /proc/PID/stat line, in milliseconds. */
export function cpuMsOf(stat: string): number {
  // The command name in field 2 may contain spaces and parentheses, so count fields after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 (utime) and 15 (stime) of proc(5) are at 11 and 12 once the first two are cut.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new Error(`unexpected /proc stat line: ${stat.slice(0, 80)}`);
  }
  return ((utime + stime) * 1000) / CLOCK_TICKS_PER_SECOND;
}

function statusKiB(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status);
  if (match === null) {
    throw new Error(`no ${field} in /proc status`);
  }
  return Number(match[1]);
}
