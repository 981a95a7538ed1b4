/**
 * CPU time and memory of a process, read from Linux's /proc. CPU time is the sum of the run times
 * in nanoseconds that /proc/PID/task/TID/schedstat gives for each live thread. The utime and stime
 * of /proc/PID/stat come in 10 ms ticks, too coarse for a pass of a few milliseconds, so they are
 * only the fallback on a kernel without schedstat.
 */
import { readdir, readFile } from "node:fs/promises";

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

/** Reads CPU time and memory of process `pid` ("self" for this one); throws when the process is gone. */
export async function sampleProcess(pid: number | "self"): Promise<ProcessSample> {
  const [cpuMs, status] = await Promise.all([processCpuMs(pid), readFile(`/proc/${pid}/status`, "utf8")]);
  return { atMs: performance.now(), cpuMs, rssKiB: statusKiB(status, "VmRSS"), peakRssKiB: statusKiB(status, "VmHWM") };
}

/**
 * Returns the CPU time of all live threads of process `pid`, in milliseconds. Threads that ended
 * are not counted; node's threads (V8's workers, libuv's pool) live as long as the process.
 */
export async function processCpuMs(pid: number | "self"): Promise<number> {
  let tasks: string[];
  try {
    tasks = await readdir(`/proc/${pid}/task`);
  } catch {
    return cpuMsOf(await readFile(`/proc/${pid}/stat`, "utf8"));
  }
  const runTimes = await Promise.all(
    tasks.map((task) => readFile(`/proc/${pid}/task/${task}/schedstat`, "utf8").then(runTimeNs, () => undefined)),
  );
  if (runTimes.some((ns) => ns === undefined)) {
    return cpuMsOf(await readFile(`/proc/${pid}/stat`, "utf8"));
  }
  return runTimes.reduce<number>((sum, ns) => sum + (ns ?? 0), 0) / 1e6;
}

/** Returns the first field of a schedstat line: time spent running on a CPU, in nanoseconds. */
function runTimeNs(schedstat: string): number {
  const ns = Number(schedstat.split(" ")[0]);
  if (!Number.isFinite(ns)) {
    throw new Error(`unexpected schedstat line: ${schedstat.slice(0, 80)}`);
  }
  return ns;
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
