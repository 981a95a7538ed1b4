/**
 * A tinylet daemon run as a child process, exactly as a user runs it (bin/tinylet), with its JSON
 * log lines parsed as they arrive. Log lines carry tinylet's own timestamps (epoch milliseconds),
 * which the scenarios compare with the benchmark's clock: both read the same system clock.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/** Repository root, from dist/bench. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The tinylet to run: this checkout's, or another build's bin/tinylet for a before/after comparison. */
const BIN = process.env["BENCH_TINYLET_BIN"] || path.join(REPO_ROOT, "bin/tinylet");

/** How long a stopped tinylet gets to exit before SIGKILL, in milliseconds. */
const STOP_TIMEOUT_MS = 15_000;

/** How long tinylet gets to start and connect to the runtime, in milliseconds. */
const START_TIMEOUT_MS = 15_000;

/** One log line of tinylet. */
export interface LogEvent {
  /** Position in the process's log, from 0. */
  index: number;
  /** tinylet's timestamp, in milliseconds since the epoch (millisecond resolution). */
  timeMs: number;
  level: string;
  msg: string;
  /** The line's other keys, such as `pod` and `durationMs`. */
  fields: Record<string, unknown>;
}

/** Options of TinyletProcess.start. */
export interface TinyletOptions {
  socket: string;
  manifestsDir: string;
  podLogRoot: string;
  maxParallel: number;
  /** Value of --interval; default tinylet's own (2s). */
  interval?: string;
  /** Value of --log-level; default `info`. */
  logLevel?: "info" | "debug";
  /** When set, node writes a CPU profile (--cpu-prof) into this directory when tinylet exits. */
  cpuProfDir?: string;
  /** More daemon flags, such as --state-dir. */
  extraArgs?: string[];
}

/** Returns the long flags (`--name`) that the daemon's --help lists. */
export async function daemonFlags(): Promise<Set<string>> {
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(BIN, ["run", "--help"], { timeout: 30_000 }));
  } catch (error) {
    const source = process.env["BENCH_TINYLET_BIN"] ? "BENCH_TINYLET_BIN" : "the default";
    throw new Error(`cannot run the tinylet to measure, ${BIN} (${source}): ${error instanceof Error ? error.message : String(error)}`);
  }
  return new Set(stdout.match(/--[a-z][a-z-]*/g) ?? []);
}

/**
 * Returns the node flags on the first line of the tinylet to measure (`#!/usr/bin/env -S node
 * FLAGS`), so the floor's processes run with the same heap settings.
 */
export async function launcherNodeFlags(): Promise<string[]> {
  const firstLine = (await readFile(BIN, "utf8")).split("\n", 1)[0] ?? "";
  const words = firstLine.replace(/^#!/, "").trim().split(/\s+/);
  const node = words.findIndex((word) => word === "node" || word.endsWith("/node"));
  return node < 0 ? [] : words.slice(node + 1).filter((word) => word.startsWith("--"));
}

/**
 * Returns the flags among launcherNodeFlags() that size V8's heap, for the floor's processes. The
 * heap's sizes change what the same calls cost in garbage collection, so the floor takes tinylet's.
 * Flags that decide when V8 optimizes code are tinylet's own tuning, and the floor keeps node's
 * defaults for them.
 */
export async function heapNodeFlags(): Promise<string[]> {
  return (await launcherNodeFlags()).filter((flag) => /^--(max|min)-(semi|old)-space-size=/.test(flag));
}

type Listener = (event: LogEvent) => void;

/** PIDs of the tinylet processes this benchmark started that have not exited yet. */
export const ownTinyletPids = new Set<number>();

/** A running tinylet daemon and its parsed log. */
export class TinyletProcess {
  readonly events: LogEvent[] = [];
  /** Output lines that are not JSON log lines, such as a crash's stack trace. */
  readonly otherLines: string[] = [];
  private readonly listeners = new Set<Listener>();
  /** Rejecters of the waits in progress, for abort(). */
  private readonly pending = new Set<(error: Error) => void>();
  private readonly exited: Promise<void>;
  private exitDescription: string | undefined;

  private constructor(private readonly child: ChildProcess) {
    if (child.pid !== undefined) {
      ownTinyletPids.add(child.pid);
    }
    let partial = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      partial += chunk.toString("utf8");
      const lines = partial.split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        this.accept(line);
      }
    });
    child.stdout?.on("data", (chunk: Buffer) => this.otherLines.push(...chunk.toString("utf8").split("\n").filter(Boolean)));
    this.exited = new Promise((resolve) => {
      child.on("exit", (code, signal) => {
        if (child.pid !== undefined) {
          ownTinyletPids.delete(child.pid);
        }
        this.exitDescription = signal === null ? `exit code ${code}` : `signal ${signal}`;
        for (const listener of this.listeners) {
          listener({ index: -1, timeMs: Date.now(), level: "exit", msg: "process exited", fields: {} });
        }
        resolve();
      });
    });
  }

  /** Starts tinylet and resolves once it has listed the runtime for the first time. */
  static async start(options: TinyletOptions): Promise<TinyletProcess> {
    const args = [
      "--socket",
      options.socket,
      "--manifests",
      options.manifestsDir,
      "--pod-log-dir",
      options.podLogRoot,
      "--max-parallel",
      String(options.maxParallel),
      "--log-format",
      "json",
      "--log-level",
      options.logLevel ?? "info",
      ...(options.interval === undefined ? [] : ["--interval", options.interval]),
      ...(options.extraArgs ?? []),
    ];
    // BIN runs as a user runs it, with the node flags of its first line. Node rejects --cpu-prof in
    // NODE_OPTIONS, so a profiled tinylet runs under this node with those flags and its own.
    const child =
      options.cpuProfDir === undefined
        ? spawn(BIN, args, { stdio: ["ignore", "pipe", "pipe"] })
        : spawn(
            process.execPath,
            [...(await launcherNodeFlags()), "--cpu-prof", `--cpu-prof-dir=${options.cpuProfDir}`, BIN, ...args],
            { stdio: ["ignore", "pipe", "pipe"] },
          );
    const tinylet = new TinyletProcess(child);
    try {
      await tinylet.waitFor("runtime connected", (event) => event.msg === "runtime connected", 0, START_TIMEOUT_MS);
    } catch (error) {
      await tinylet.stop();
      throw error;
    }
    return tinylet;
  }

  /** Process ID of the node process running tinylet. */
  get pid(): number {
    const pid = this.child.pid;
    if (pid === undefined) {
      throw new Error("tinylet did not start");
    }
    return pid;
  }

  /** Returns the error lines logged from `fromIndex` on. */
  errorsSince(fromIndex: number): LogEvent[] {
    return this.events.slice(fromIndex).filter((event) => event.level === "error");
  }

  /** Resolves with the first event from `fromIndex` on that matches `predicate`. */
  async waitFor(what: string, predicate: (event: LogEvent) => boolean, fromIndex: number, timeoutMs: number): Promise<LogEvent> {
    let found: LogEvent | undefined;
    await this.collect(what, fromIndex, timeoutMs, (event) => {
      if (predicate(event)) {
        found = event;
      }
      return found !== undefined;
    });
    return found as LogEvent;
  }

  /**
   * Resolves with the first event with message `msg` for each pod in `keys` (by the `pod` field),
   * looking from `fromIndex` on.
   */
  async waitForPods(msg: string, keys: readonly string[], fromIndex: number, timeoutMs: number): Promise<Map<string, LogEvent>> {
    const expected = new Set(keys);
    const found = new Map<string, LogEvent>();
    await this.collect(`"${msg}" for ${keys.length} pod(s)`, fromIndex, timeoutMs, (event) => {
      const pod = event.fields["pod"];
      if (event.msg === msg && typeof pod === "string" && expected.has(pod) && !found.has(pod)) {
        found.set(pod, event);
      }
      return found.size === expected.size;
    });
    return found;
  }

  /** Makes every wait in progress reject with `error`; the process keeps running. */
  abort(error: Error): void {
    for (const reject of [...this.pending]) {
      reject(error);
    }
  }

  /** Sends SIGTERM and waits for the exit; SIGKILL after STOP_TIMEOUT_MS. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.exitDescription === undefined) {
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), STOP_TIMEOUT_MS);
      await this.exited;
      clearTimeout(timer);
    }
  }

  /** Feeds past and future events to `done` until it returns true; rejects on timeout or exit. */
  private collect(what: string, fromIndex: number, timeoutMs: number, done: (event: LogEvent) => boolean): Promise<void> {
    for (const event of this.events.slice(fromIndex)) {
      if (done(event)) {
        return Promise.resolve();
      }
    }
    return new Promise((resolve, reject) => {
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        this.pending.delete(finish);
        if (error === undefined) {
          resolve();
        } else {
          reject(error);
        }
      };
      const listener: Listener = (event) => {
        if (event.level === "exit") {
          finish(new Error(`tinylet exited (${this.exitDescription}) while waiting for ${what}${this.lastLines()}`));
        } else if (done(event)) {
          finish();
        }
      };
      const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what}${this.lastLines()}`)), timeoutMs);
      if (this.exitDescription !== undefined) {
        finish(new Error(`tinylet exited (${this.exitDescription}) before ${what}${this.lastLines()}`));
        return;
      }
      this.listeners.add(listener);
      this.pending.add(finish);
    });
  }

  private accept(line: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      this.otherLines.push(line);
      return;
    }
    const { time, level, msg, ...fields } = parsed as Record<string, unknown>;
    const event: LogEvent = {
      index: this.events.length,
      timeMs: Date.parse(String(time)),
      level: String(level),
      msg: String(msg),
      fields,
    };
    this.events.push(event);
    for (const listener of this.listeners) {
      listener(event);
    }
  }

  /** Returns the last error lines and other output, to explain a failure. */
  private lastLines(): string {
    const errors = this.events.filter((event) => event.level === "error").slice(-3);
    const lines = [
      ...errors.map((event) => `${event.msg}: ${JSON.stringify(event.fields)}`),
      ...this.otherLines.slice(-5),
    ];
    return lines.length === 0 ? "" : `; tinylet's last errors:\n  ${lines.join("\n  ")}`;
  }
}
