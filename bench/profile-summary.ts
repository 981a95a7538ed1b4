/**
 * Summarises a V8 CPU profile (.cpuprofile, as `node --cpu-prof` writes it): the functions with
 * the most self time, and self time grouped by where the code comes from.
 *
 * Usage: node dist/bench/profile-summary.js FILE.cpuprofile [TOP] [LAST_MS]
 *
 * With LAST_MS, only the samples of the profile's last LAST_MS milliseconds count, such as an idle
 * stretch before the process was stopped.
 */
import { readFile } from "node:fs/promises";

import { renderTable } from "./stats.js";

/** The parts of the .cpuprofile format this summary reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[];
  startTime: number;
  endTime: number;
  samples: number[];
  /** Microseconds between consecutive samples. */
  timeDeltas: number[];
}

/** Returns a short group name for a script URL: a package, tinylet's own folder, or node's internals. */
export function groupOf(url: string, functionName: string): string {
  if (url === "") {
    // V8's pseudo-frames: (program), (idle), (garbage collector), (root).
    return functionName.startsWith("(") ? functionName : "native";
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg !== null) {
    return pkg[1] as string;
  }
  const own = /\/dist\/(src\/[^/]+)\//.exec(url);
  if (own !== null) {
    return `tinylet ${own[1]}`;
  }
  if (url.startsWith("node:")) {
    return "node internals";
  }
  return url;
}

async function main(): Promise<void> {
  const [file, topText, lastText] = process.argv.slice(2);
  if (file === undefined) {
    throw new Error("usage: node dist/bench/profile-summary.js FILE.cpuprofile [TOP] [LAST_MS]");
  }
  const top = positiveNumber("TOP", topText ?? "20");
  const lastMs = lastText === undefined ? undefined : positiveNumber("LAST_MS", lastText);
  const profile = JSON.parse(await readFile(file, "utf8")) as CpuProfile;
  const fromUs = lastMs === undefined ? profile.startTime : profile.endTime - lastMs * 1000;

  // Self time of a node is the sum of the intervals whose sample landed in it.
  const selfUs = new Map<number, number>();
  let sampleUs = profile.startTime;
  profile.samples.forEach((nodeId, index) => {
    const deltaUs = profile.timeDeltas[index] ?? 0;
    sampleUs += deltaUs;
    if (sampleUs >= fromUs) {
      selfUs.set(nodeId, (selfUs.get(nodeId) ?? 0) + deltaUs);
    }
  });

  const byFunction = new Map<string, { us: number; group: string }>();
  const byGroup = new Map<string, number>();
  let busyUs = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) {
      continue;
    }
    const { functionName, url, lineNumber } = node.callFrame;
    const group = groupOf(url, functionName);
    const location = url === "" ? "" : ` ${url.replace(/^.*\/(node_modules|dist)\//, "$1/")}:${lineNumber + 1}`;
    const key = `${functionName || "(anonymous)"}${location}`;
    const entry = byFunction.get(key) ?? { us: 0, group };
    entry.us += us;
    byFunction.set(key, entry);
    byGroup.set(group, (byGroup.get(group) ?? 0) + us);
    if (group !== "(idle)") {
      busyUs += us;
    }
  }

  const wallMs = (profile.endTime - Math.max(fromUs, profile.startTime)) / 1000;
  const ms = (us: number): string => (us / 1000).toFixed(1);
  const share = (us: number): string => `${((us / Math.max(busyUs, 1)) * 100).toFixed(1)} %`;
  process.stdout.write(`${file}: ${wallMs.toFixed(0)} ms profiled, ${ms(busyUs)} ms not idle\n\n`);

  const groups = [...byGroup].filter(([group]) => group !== "(idle)").sort((a, b) => b[1] - a[1]);
  process.stdout.write(renderTable(["group", "self ms", "of busy"], groups.map(([group, us]) => [group, ms(us), share(us)])) + "\n\n");

  const functions = [...byFunction].filter(([, entry]) => entry.group !== "(idle)").sort((a, b) => b[1].us - a[1].us).slice(0, top);
  process.stdout.write(renderTable(["function", "self ms", "of busy"], functions.map(([key, entry]) => [key, ms(entry.us), share(entry.us)])) + "\n");
}

function positiveNumber(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`invalid ${name} "${text}": expected a positive number`);
  }
  return value;
}

// A reader that stops early, such as `head`, closes the pipe. The summary then ends quietly instead
// of with an EPIPE stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(0);
});

main().catch((error: unknown) => {
  process.stderr.write(`profile-summary: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
