/**
 * State shared by the scenarios: the runtime, the benchmark's own CRI client, the temporary
 * directories, and the processes and servers to stop if the run fails half way.
 */
import { readdir, unlink } from "node:fs/promises";
import path from "node:path";

import type { CriClient } from "../src/cri/index.js";
import { floorRemove } from "./floor.js";
import { ownedSandboxes, removeBenchSandboxes, waitForNoOtherTinylet, type InterferenceMonitor } from "./runtime-guard.js";
import { ownTinyletPids, TinyletProcess, type TinyletOptions } from "./tinylet-process.js";
import type { QuietWaiter } from "./machine.js";
import type { ManifestWriter, PodPlaces } from "./workload.js";

/** How long to wait for another engineer's tinylet to stop before giving up, in milliseconds. */
const OTHER_TINYLET_TIMEOUT_MS = 120_000;

export interface BenchContext {
  /** The lab's CRI socket. */
  socket: string;
  /** The benchmark's own client: the floor's calls and the cleanup. */
  cri: CriClient;
  /** Temporary directory holding everything below. */
  workDir: string;
  /** The manifests, pod log and pod state directories, and the node settings both sides use. */
  places: PodPlaces;
  /** Daemon flags every tinylet gets beyond the scenario's own, such as --state-dir. */
  daemonArgs: string[];
  writer: ManifestWriter;
  /** Sandboxes the floor created and has not removed yet, by pod key. */
  floorCreated: Map<string, string>;
  /** Holds each measurement back until the machine is quiet. */
  quiet: QuietWaiter;
  /** Watches for other tinylet processes during the run. */
  monitor: InterferenceMonitor;
  /** The tinylet running now, if any, so a failure can stop it. */
  tinylet: TinyletProcess | undefined;
  /** Functions that stop servers started by a scenario (proxy, fake runtime); run on cleanup. */
  closers: Set<() => Promise<void>>;
  /** When set, each tinylet writes a CPU profile into a sub-directory named after its run. */
  cpuProfDir: string | undefined;
  /** Writes one progress line on standard error. */
  note: (line: string) => void;
}

/** Default time to wait for a set of pods to start or go, in milliseconds. */
export const WAIT_TIMEOUT_MS = 120_000;

/**
 * Waits until the lab runtime can be used by this benchmark alone: no other tinylet runs, and no
 * tinylet=true sandbox is left that a new tinylet would tear down as its own.
 */
export async function ensureRuntimeFree(ctx: BenchContext, socket: string): Promise<void> {
  await waitForNoOtherTinylet(ownTinyletPids, OTHER_TINYLET_TIMEOUT_MS, ctx.note);
  if (socket !== ctx.socket) {
    return;
  }
  const leftovers = await ownedSandboxes(ctx.cri);
  if (leftovers.length > 0) {
    const names = leftovers.map((sandbox) => `${sandbox.metadata?.namespace}/${sandbox.metadata?.name}`).join(", ");
    throw new Error(
      `the runtime has ${leftovers.length} sandbox(es) labelled tinylet=true that no running tinylet owns (${names}); ` +
        "a benchmark tinylet would remove them, so remove them first (bash lab/lab.sh down removes every lab pod)",
    );
  }
}

/** Starts a tinylet on `run`'s options, runs `body` with it, and stops it, also when `body` fails. */
export async function withTinylet<T>(
  ctx: BenchContext,
  run: { name: string; socket?: string; maxParallel: number; logLevel?: "info" | "debug"; interval?: string },
  body: (tinylet: TinyletProcess) => Promise<T>,
): Promise<T> {
  const socket = run.socket ?? ctx.socket;
  await ensureRuntimeFree(ctx, socket);
  const options: TinyletOptions = {
    socket,
    manifestsDir: ctx.places.manifestsDir,
    podLogRoot: ctx.places.podLogRoot,
    maxParallel: run.maxParallel,
    extraArgs: ctx.daemonArgs,
    logLevel: run.logLevel ?? "info",
    ...(run.interval === undefined ? {} : { interval: run.interval }),
    ...(ctx.cpuProfDir === undefined ? {} : { cpuProfDir: `${ctx.cpuProfDir}/${run.name}` }),
  };
  const tinylet = await TinyletProcess.start(options);
  ctx.tinylet = tinylet;
  try {
    const result = await body(tinylet);
    const errors = tinylet.errorsSince(0);
    if (errors.length > 0) {
      ctx.note(`${run.name}: tinylet logged ${errors.length} error(s), the first: ${errors[0]?.msg} ${JSON.stringify(errors[0]?.fields)}`);
    }
    return result;
  } finally {
    await tinylet.stop();
    ctx.tinylet = undefined;
  }
}

/** Attempts of a run that another tinylet disturbed, before the benchmark gives up. */
const MAX_ATTEMPTS = 3;

/** Why a wait was cut short: another tinylet started during the run. */
export class DisturbedError extends Error {}

/**
 * Runs `body` and returns its result, unless another tinylet ran at some point during it: then the
 * run's pods and manifests are removed and `body` runs again, at most MAX_ATTEMPTS times in all.
 * `body` must keep its figures to itself until it returns, so a disturbed run leaves none behind.
 */
export async function runUndisturbed<T>(ctx: BenchContext, what: string, body: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    // A tinylet that was already running is waited for here, so only one that starts during the body counts.
    await waitForNoOtherTinylet(ownTinyletPids, OTHER_TINYLET_TIMEOUT_MS, ctx.note);
    const sightings = ctx.monitor.sightings;
    const unsubscribe = ctx.monitor.subscribe((others) =>
      ctx.tinylet?.abort(new DisturbedError(`another tinylet started during ${what}: ${others.join("; ")}`)),
    );
    try {
      const result = await body();
      if (ctx.monitor.sightings === sightings) {
        return result;
      }
    } catch (error) {
      if (ctx.monitor.sightings === sightings) {
        throw error;
      }
    } finally {
      unsubscribe();
    }

    if (attempt >= MAX_ATTEMPTS) {
      throw new Error(`${what} was disturbed by another tinylet in each of ${MAX_ATTEMPTS} attempts: ${ctx.monitor.lastSeen.join("; ")}`);
    }
    ctx.note(`${what}: another tinylet ran during it (${ctx.monitor.lastSeen.join("; ")}); its figures are dropped and it runs again`);
    await resetRun(ctx);
  }
}

/** Removes the manifests, floor sandboxes and benchmark sandboxes a cut-short run left. */
async function resetRun(ctx: BenchContext): Promise<void> {
  for (const name of await readdir(ctx.places.manifestsDir)) {
    await unlink(path.join(ctx.places.manifestsDir, name));
  }
  await floorRemove(ctx.cri, ctx.floorCreated, [...ctx.floorCreated.keys()], 4);
  await removeBenchSandboxes(ctx.cri);
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
