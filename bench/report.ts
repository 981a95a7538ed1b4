/** Renders the benchmark's results: the targets table, then the details behind each figure. */
import type { IdleResult } from "./idle.js";
import type { StartBreakdown } from "./latency.js";
import { KEY, type CallSamples, type Samples } from "./startup.js";
import { formatMs, formatSamples, median, percentile, renderTable } from "./stats.js";

/** Everything one run measured. */
export interface BenchResults {
  /** Runtime name and version as the CRI Version call returns them. */
  runtime: string;
  cpus: number;
  node: string;
  repetitions: number;
  burstSize: number;
  floorParallels: number[];
  tinyletParallels: number[];
  /** Samples pooled over the repetitions. */
  samples: Samples;
  floorCalls: CallSamples;
  latency: StartBreakdown[];
  idle: IdleResult[];
  /** Set when tinylet ran under --cpu-prof, which slows it. */
  profiled: boolean;
  /** 1-minute load average when the run started, before it added any load of its own. */
  loadAtStart: number;
  /** Measurements that started on a machine still busy after the longest wait for quiet, of all measurements. */
  busyStarts: number;
  measurements: number;
  /** Maximum wait for a quiet machine before a measurement, in milliseconds. */
  quietWaitMs: number;
}

/** Slack allowed over the floor, as a factor. */
const RATIO_LIMIT = 1.1;
/** Extra time allowed for one pod, in milliseconds. */
const SINGLE_POD_ALLOWANCE_MS = 50;
const EVENT_P50_LIMIT_MS = 20;
const EVENT_P99_LIMIT_MS = 50;
/** Idle targets, with 100 pods on containerd. */
const IDLE_BEYOND_LISTS_LIMIT_MS = 5;
const IDLE_RSS_LIMIT_MB = 80;
const IDLE_CPU_LIMIT_PERCENT = 1;

/** Returns the report as text. */
export function renderReport(results: BenchResults): string {
  const out: string[] = [];
  const { samples } = results;
  const get = (key: string): number[] => samples.get(key) ?? [];

  out.push(
    `tinylet benchmark on ${results.runtime}, ${results.cpus} CPUs, node ${results.node}; ` +
      `${results.repetitions} repetition(s), floor and tinylet alternating; figures are medians`,
  );
  out.push(
    `load average ${results.loadAtStart.toFixed(2)} before the run; ` +
      `${results.busyStarts} of ${results.measurements} measurements started on a machine still busy (CPUs over 25 % busy) after waiting ${formatMs(results.quietWaitMs)}`,
  );
  if (results.profiled) {
    out.push("NOTE: tinylet ran under --cpu-prof, which slows it; these figures are not comparable with an ordinary run");
  }
  out.push("");

  const rows: string[][] = [];
  const floorSingle = median(get(KEY.singleStart("floor")));
  const tinyletSingle = median(get(KEY.singleStart("tinylet")));
  const singleLimit = RATIO_LIMIT * floorSingle + SINGLE_POD_ALLOWANCE_MS;
  rows.push([
    "1 pod written -> running",
    formatMs(floorSingle),
    formatMs(tinyletSingle),
    ratio(tinyletSingle, floorSingle),
    `<= 1.10 x floor + 50 ms (${formatMs(singleLimit)})`,
    verdict(tinyletSingle, singleLimit),
  ]);
  rows.push(["1 pod deleted -> removed", formatMs(median(get(KEY.singleRemove("floor")))), formatMs(median(get(KEY.singleRemove("tinylet")))), ratio(median(get(KEY.singleRemove("tinylet"))), median(get(KEY.singleRemove("floor")))), "-", "-"]);

  const parallelFloors = results.floorParallels.filter((parallel) => parallel > 1);
  const bestFloor = (kind: "start" | "remove"): { ms: number; parallel: number } => {
    const key = kind === "start" ? KEY.burstStart : KEY.burstRemove;
    return parallelFloors
      .map((parallel) => ({ ms: median(get(key("floor", parallel))), parallel }))
      .reduce((best, next) => (next.ms < best.ms ? next : best), { ms: Number.POSITIVE_INFINITY, parallel: 0 });
  };
  const burstRows = (kind: "start" | "remove", label: string): void => {
    const floor = bestFloor(kind);
    const key = kind === "start" ? KEY.burstStart : KEY.burstRemove;
    for (const parallel of results.tinyletParallels) {
      const tinylet = median(get(key("tinylet", parallel)));
      rows.push([
        `${results.burstSize} pods ${label}, --max-parallel ${parallel}`,
        `${formatMs(floor.ms)} (${floor.parallel} at once)`,
        formatMs(tinylet),
        ratio(tinylet, floor.ms),
        "<= 1.10 x best parallel floor",
        verdict(tinylet, RATIO_LIMIT * floor.ms),
      ]);
    }
  };
  burstRows("start", "written -> running");
  burstRows("remove", "deleted -> removed");

  const firstCall = results.latency.map((sample) => sample.eventToFirstCallMs);
  const p50 = percentile(firstCall, 50);
  const p99 = percentile(firstCall, 99);
  rows.push(["file event -> first CRI call, p50", "-", formatMs(p50), "-", `<= ${EVENT_P50_LIMIT_MS} ms`, verdict(p50, EVENT_P50_LIMIT_MS)]);
  rows.push(["file event -> first CRI call, p99", "-", formatMs(p99), "-", `<= ${EVENT_P99_LIMIT_MS} ms`, verdict(p99, EVENT_P99_LIMIT_MS)]);
  const idle = results.idle.find((result) => result.runtime === "containerd");
  if (idle !== undefined) {
    const label = `idle, ${idle.pods} pods`;
    const beyond = idle.cpuMsPerPass - idle.listFloor.cpuMsPerPair;
    const rssMB = (idle.rssKiB * 1024) / 1e6;
    rows.push([`${label}: CPU per pass`, `${idle.listFloor.cpuMsPerPair.toFixed(1)} ms`, `${idle.cpuMsPerPass.toFixed(1)} ms`, ratio(idle.cpuMsPerPass, idle.listFloor.cpuMsPerPair), `<= lists + ${IDLE_BEYOND_LISTS_LIMIT_MS} ms (${(idle.listFloor.cpuMsPerPair + IDLE_BEYOND_LISTS_LIMIT_MS).toFixed(1)} ms)`, verdict(beyond, IDLE_BEYOND_LISTS_LIMIT_MS)]);
    rows.push([`${label}: CPU over ${Math.round(idle.windowMs / 1000)} s`, "-", `${idle.cpuPercent.toFixed(2)} %`, "-", `<= ${IDLE_CPU_LIMIT_PERCENT} % of a core`, verdict(idle.cpuPercent, IDLE_CPU_LIMIT_PERCENT)]);
    rows.push([`${label}: resident memory`, "-", `${rssMB.toFixed(1)} MB (${(idle.rssKiB / 1024).toFixed(1)} MiB)`, "-", `<= ${IDLE_RSS_LIMIT_MB} MB`, verdict(rssMB, IDLE_RSS_LIMIT_MB)]);
  }
  out.push(renderTable(["scenario", "floor", "tinylet", "ratio", "target", "result"], rows));

  const floorRan = results.floorParallels.some((parallel) => get(KEY.burstStart("floor", parallel)).length > 0);
  if (floorRan) {
    out.push("", "Floor, all parallelisms (medians):");
  }
  for (const parallel of floorRan ? results.floorParallels : []) {
    out.push(
      `  ${results.burstSize} pods, ${parallel === 1 ? "one at a time" : `${parallel} at once`}: ` +
        `start ${formatMs(median(get(KEY.burstStart("floor", parallel))))}, teardown ${formatMs(median(get(KEY.burstRemove("floor", parallel))))}`,
    );
  }

  if (samples.size > 0) {
    out.push("", "Samples (ms):");
  }
  for (const [key, values] of [...samples].sort(([a], [b]) => a.localeCompare(b))) {
    out.push(`  ${key}: ${formatSamples(values)}`);
  }

  if (results.latency.length > 0) {
    out.push("", ...renderBreakdown(results));
  }
  if (results.idle.length > 0) {
    out.push("", ...renderIdle(results.idle));
  }
  return out.join("\n");
}

function renderBreakdown(results: BenchResults): string[] {
  const samples = results.latency;
  const row = (label: string, values: number[], floorMethod?: string): string[] => [
    label,
    formatMs(median(values)),
    formatMs(percentile(values, 90)),
    floorMethod === undefined ? "-" : formatMs(median(results.floorCalls.get(floorMethod) ?? [])),
  ];
  const field = (name: "eventToListMs" | "listsMs" | "listsToPlanMs" | "planToRunMs" | "betweenCallsMs" | "startToLogMs" | "totalMs"): number[] =>
    samples.map((sample) => sample[name]);

  const rows = [
    row("rename -> List calls of the pass (event, scan, parse)", field("eventToListMs")),
    row("ListPodSandbox + ListContainers", field("listsMs")),
    row('lists returned -> "executing plan" (plan, dispatch)', field("listsToPlanMs")),
    row('"executing plan" -> RunPodSandbox arrives', field("planToRunMs")),
  ];
  // Methods in the order the first sample called them, each with its calls per pod.
  const methods = Object.keys(samples[0]?.callMs ?? {});
  for (const method of methods) {
    const count = median(samples.map((sample) => sample.callCounts[method] ?? 0));
    const label = count === 1 ? method : `${method} (${count} calls)`;
    const floorMethod = results.floorCalls.has(method) ? method : undefined;
    rows.push(row(label, samples.map((sample) => sample.callMs[method] ?? 0), floorMethod));
  }
  rows.push(row("tinylet's work between those calls", field("betweenCallsMs")));
  rows.push(row('StartContainer returned -> "started container"', field("startToLogMs")));
  rows.push(row('total: rename -> "started container"', field("totalMs")));

  const planValues = samples.map((sample) => sample.eventToPlanMs);
  return [
    `One pod's start: ${samples.length} pods written one at a time, tinylet behind a timestamping CRI proxy (--max-parallel 4, --log-level debug):`,
    renderTable(["stage", "median", "p90", "floor median"], rows),
    `  file event -> "executing plan" log line: p50 ${formatMs(percentile(planValues, 50))}, p99 ${formatMs(percentile(planValues, 99))}`,
    `  file event -> first CRI call, each sample (ms): ${formatSamples(samples.map((sample) => sample.eventToFirstCallMs))}`,
    "  Durations behind the proxy include one extra local hop; the floor's are measured in its client, without one.",
  ];
}

function renderIdle(idle: readonly IdleResult[]): string[] {
  const rows = idle.map((result) => [
    result.runtime,
    String(result.pods),
    result.interval,
    `${Math.round(result.windowMs / 1000)} s`,
    String(result.passes),
    `${result.cpuMsPerPass.toFixed(1)} ms`,
    `${result.listFloor.cpuMsPerPair.toFixed(1)} ms`,
    `${(result.cpuMsPerPass - result.listFloor.cpuMsPerPair).toFixed(1)} ms`,
    formatMs(result.passWallMs),
    result.interval === "2s" ? `${result.cpuPercent.toFixed(2)} %` : "-",
    `${(result.rssKiB / 1024).toFixed(1)} MiB`,
    `${(result.peakRssKiB / 1024).toFixed(1)} MiB`,
  ]);
  const lines = [
    "Idle passes (CPU of all threads from /proc/PID/task/*/schedstat; LISTS FLOOR = CPU per interval of a bare client that makes",
    "ListPodSandbox + ListContainers once per interval in the same window, in a process of its own):",
    renderTable(["runtime", "pods", "interval", "window", "passes", "cpu/pass", "lists floor", "beyond lists", "pass wall", "cpu % core", "rss", "peak rss"], rows),
  ];
  for (const result of idle) {
    const removal = result.removeAllMs === undefined ? "" : `, all deleted -> removed in ${formatMs(result.removeAllMs)}`;
    lines.push(`  ${result.runtime} ${result.pods} pods: all written -> running in ${formatMs(result.startAllMs)}${removal}`);
  }
  return lines;
}

function ratio(value: number, floor: number): string {
  return Number.isFinite(value) && Number.isFinite(floor) && floor > 0 ? (value / floor).toFixed(2) : "-";
}

/** Returns "ok" or "MISSED", or "-" when the scenario did not run. */
function verdict(value: number, limit: number): string {
  if (!Number.isFinite(value) || !Number.isFinite(limit)) {
    return "-";
  }
  return value <= limit ? "ok" : "MISSED";
}
