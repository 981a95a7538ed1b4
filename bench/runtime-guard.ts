/**
 * Guards that keep the benchmark from fighting another tinylet, and the cleanup that removes what
 * the benchmark created. A tinylet owns every sandbox labelled tinylet=true on the runtime, so two
 * of them on one runtime would tear down each other's pods.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

import type { CriClient, PodSandbox } from "../src/cri/index.js";
import { OWNED_SELECTOR } from "../src/reconcile/labels.js";
import { BENCH_LABEL } from "./workload.js";

/** How often to look for other tinylet processes while waiting for them to end, in milliseconds. */
const POLL_INTERVAL_MS = 2_000;

/**
 * Returns `PID command line` of each tinylet daemon other than `ownPids`: a node process running a
 * bin/tinylet script with no subcommand or `run`. This is `pgrep -af bin/tinylet` without the
 * processes that cannot own a pod: wrappers that only mention it (a `flock LOCK node bin/tinylet`
 * still waiting for its lock) and the CLI's other subcommands (`pods`, `validate`, ...).
 */
export async function otherTinylets(ownPids: ReadonlySet<number>): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid || ownPids.has(pid)) {
      continue;
    }
    let args: string[];
    try {
      args = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0").filter(Boolean);
    } catch {
      continue;
    }
    if (isTinyletDaemon(args)) {
      found.push(`${pid} ${args.join(" ")}`);
    }
  }
  return found;
}

/** Reports whether a command line runs the tinylet daemon under node. */
export function isTinyletDaemon(args: readonly string[]): boolean {
  if (path.basename(args[0] ?? "") !== "node" && args[0] !== process.execPath) {
    return false;
  }
  const script = args.findIndex((arg) => arg.endsWith("bin/tinylet"));
  if (script < 0) {
    return false;
  }
  const subcommand = args[script + 1];
  return subcommand === undefined || subcommand === "run" || subcommand.startsWith("-");
}

/** Waits until no other tinylet runs; throws after `timeoutMs`. */
export async function waitForNoOtherTinylet(ownPids: ReadonlySet<number>, timeoutMs: number, note: (line: string) => void): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let reported = false;
  for (;;) {
    const others = await otherTinylets(ownPids);
    if (others.length === 0) {
      return;
    }
    if (performance.now() > deadline) {
      throw new Error(`another tinylet is still running after ${Math.round(timeoutMs / 1000)} s of waiting: ${others.join("; ")}`);
    }
    if (!reported) {
      note(`waiting for another tinylet to stop, because two tinylets on one runtime remove each other's pods: ${others.join("; ")}`);
      reported = true;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/** Lists the sandboxes labelled tinylet=true, including those of other users of the runtime. */
export async function ownedSandboxes(cri: CriClient): Promise<PodSandbox[]> {
  return cri.listPodSandbox(OWNED_SELECTOR);
}

/** Rounds of removal before cleanup gives up, and the pause between them in milliseconds. */
const REMOVE_ROUNDS = 5;
const REMOVE_RETRY_MS = 1_000;

/**
 * Stops and removes every sandbox the benchmark created (label tinylet-bench=true) and returns how
 * many. A sandbox whose container is still being started cannot be removed yet (containerd returns
 * "container is in starting state"), so failures are retried for a few rounds before it throws.
 */
export async function removeBenchSandboxes(cri: CriClient): Promise<number> {
  let removed = 0;
  for (let round = 1; ; round++) {
    const failures: string[] = [];
    for (const sandbox of await cri.listPodSandbox({ [BENCH_LABEL]: "true" })) {
      try {
        await cri.stopPodSandbox(sandbox.id);
        await cri.removePodSandbox(sandbox.id);
        removed++;
      } catch (error) {
        failures.push(`${sandbox.metadata?.name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (failures.length === 0) {
      return removed;
    }
    if (round >= REMOVE_ROUNDS) {
      throw new Error(`failed to remove ${failures.length} benchmark sandbox(es) after ${REMOVE_ROUNDS} rounds: ${failures.join("; ")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, REMOVE_RETRY_MS));
  }
}

/** How often the monitor looks for other tinylet processes, in milliseconds. */
const MONITOR_INTERVAL_MS = 1_000;

/**
 * Looks for other tinylet daemons while the benchmark runs. Checking only before a run misses a
 * tinylet started during it (an end-to-end test, say), which would remove the benchmark's pods and
 * make its figures meaningless. A daemon counts once two checks in a row see it, so one that exits
 * at once on a usage error is not taken for a rival.
 */
export class InterferenceMonitor {
  /** Number of checks that found another tinylet. */
  sightings = 0;
  /** The last sighting, as `PID command line` entries. */
  lastSeen: string[] = [];
  private readonly listeners = new Set<(others: string[]) => void>();
  private readonly timer: NodeJS.Timeout;
  private previous = new Set<string>();
  private checking = false;

  constructor(private readonly ownPids: () => ReadonlySet<number>) {
    this.timer = setInterval(() => void this.check(), MONITOR_INTERVAL_MS);
    this.timer.unref();
  }

  /** Calls `listener` on each sighting until the returned function is called. */
  subscribe(listener: (others: string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async check(): Promise<void> {
    if (this.checking) {
      return;
    }
    this.checking = true;
    try {
      const current = new Set(await otherTinylets(this.ownPids()));
      const confirmed = [...current].filter((entry) => this.previous.has(entry));
      this.previous = current;
      if (confirmed.length > 0) {
        this.sightings++;
        this.lastSeen = confirmed;
        for (const listener of this.listeners) {
          listener(confirmed);
        }
      }
    } finally {
      this.checking = false;
    }
  }
}
