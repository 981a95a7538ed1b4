/**
 * Helpers for end-to-end tests against the lab's real containerd: start and stop the tinylet
 * binary on a temporary manifests directory, read its log lines, and wait for runtime conditions.
 * Waiting polls a condition with a deadline; no test asserts on the passage of time alone.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { CriClient, type Container, type PodSandbox } from "../../src/cri/index.js";
import { OWNED_SELECTOR } from "../../src/reconcile/labels.js";

/** The lab's CRI socket; `lab/lab.sh env` exports it. */
export const SOCKET = process.env["TINYLET_SOCKET"] ?? "/run/tinylet-lab/containerd.sock";

/** The lab's busybox image, built offline and pushed to the local registry. */
export const IMAGE = "localhost:5000/busybox:latest";

/** Repository root, from dist/test/e2e. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export const BIN = path.join(REPO_ROOT, "bin/tinylet");

/** Fails with a clear message when the lab is not up. */
export function requireLab(): void {
  if (!existsSync(SOCKET)) {
    throw new Error(`no CRI socket at ${SOCKET}: start the lab with 'bash lab/lab.sh up' (make test does this)`);
  }
}

/** Returns a fresh temporary directory and a function that removes it. */
export async function tempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), `tinylet-${prefix}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A running tinylet daemon and its captured log lines. */
export class Tinylet {
  readonly lines: string[] = [];
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  /** Exit code and signal, once the process has ended. */
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  /** Starts `bin/tinylet`; `env` is added to this process's environment. */
  constructor(manifests: string, podLogDir: string, extraArgs: string[] = [], env: Record<string, string> = {}) {
    // Run as a user runs it, so the node flags of its first line apply.
    this.child = spawn(
      BIN,
      ["--socket", SOCKET, "--manifests", manifests, "--interval", "500ms", "--pod-log-dir", podLogDir, ...extraArgs],
      { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } },
    );
    let partial = "";
    const collect = (chunk: Buffer): void => {
      partial += chunk.toString("utf8");
      const parts = partial.split("\n");
      partial = parts.pop() ?? "";
      this.lines.push(...parts);
      if (process.env["TINYLET_E2E_VERBOSE"]) {
        for (const part of parts) process.stderr.write(`    [tinylet] ${part}\n`);
      }
    };
    this.child.stdout?.on("data", collect);
    this.child.stderr?.on("data", collect);
    this.exit = new Promise((resolve) => this.child.on("exit", (code, signal) => resolve({ code, signal })));
    this.exited = this.exit.then((status) => status.code);
  }

  /** Process ID of the daemon. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Waits for a log line matching `pattern`, returning it. */
  async waitForLog(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    let found: string | undefined;
    await waitFor(`log line ${pattern}`, () => (found = this.lines.find((line) => pattern.test(line))) !== undefined, timeoutMs);
    return found as string;
  }

  /** Counts log lines matching `pattern`. */
  count(pattern: RegExp): number {
    return this.lines.filter((line) => pattern.test(line)).length;
  }

  /** Sends `signal` and resolves with the exit code. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill(signal);
    }
    return this.exited;
  }
}

/** Polls `condition` every 100 ms until it holds, or fails after `timeoutMs` naming `what`. */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A CRI client for assertions, with lookups by pod name. */
export class Runtime {
  readonly cri = new CriClient({ socketPath: SOCKET });

  async sandboxes(name?: string, namespace = "default"): Promise<PodSandbox[]> {
    const all = await this.cri.listPodSandbox(OWNED_SELECTOR);
    return all.filter((s) => name === undefined || (s.metadata?.name === name && s.metadata.namespace === namespace));
  }

  async containers(sandboxId?: string): Promise<Container[]> {
    return this.cri.listContainers(OWNED_SELECTOR, sandboxId ?? "");
  }

  /** Waits until the pod has one ready sandbox whose containers include a running `container`; returns both. */
  async waitRunning(
    name: string,
    container: string,
    namespace = "default",
    timeoutMs = 60_000,
  ): Promise<{ sandbox: PodSandbox; container: Container }> {
    let result: { sandbox: PodSandbox; container: Container } | undefined;
    await waitFor(
      `${namespace}/${name} running ${container}`,
      async () => {
        const ready = (await this.sandboxes(name, namespace)).filter((s) => s.state === 0);
        if (ready.length !== 1) return false;
        const sandbox = ready[0] as PodSandbox;
        const running = (await this.containers(sandbox.id)).find((c) => c.metadata?.name === container && c.state === 1);
        if (running === undefined) return false;
        result = { sandbox, container: running };
        return true;
      },
      timeoutMs,
    );
    return result as { sandbox: PodSandbox; container: Container };
  }

  /** Waits until no sandbox of the pod is left. */
  async waitGone(name: string, namespace = "default", timeoutMs = 60_000): Promise<void> {
    await waitFor(`${namespace}/${name} removed`, async () => (await this.sandboxes(name, namespace)).length === 0, timeoutMs);
  }

  /** Stops and removes every tinylet sandbox, so each test starts from an empty runtime. */
  async removeAllOwned(): Promise<void> {
    for (const sandbox of await this.cri.listPodSandbox(OWNED_SELECTOR)) {
      await this.cri.stopPodSandbox(sandbox.id).catch(() => undefined);
      await this.cri.removePodSandbox(sandbox.id).catch(() => undefined);
    }
  }

  close(): void {
    this.cri.close();
  }
}

/** Writes a manifest file atomically (write to a dotfile, then rename), as careful tools do. */
export async function writeManifest(dir: string, name: string, text: string): Promise<void> {
  const temporary = path.join(dir, `.${name}.tmp`);
  await writeFile(temporary, text);
  await rename(temporary, path.join(dir, name));
}

/** Returns a Kubernetes Pod manifest running `script` with `sh -c` in the lab image. */
export function podManifest(name: string, script: string, extra: { namespace?: string; restartPolicy?: string; grace?: number } = {}): string {
  return [
    "apiVersion: v1",
    "kind: Pod",
    "metadata:",
    `  name: ${name}`,
    `  namespace: ${extra.namespace ?? "default"}`,
    "spec:",
    `  terminationGracePeriodSeconds: ${extra.grace ?? 2}`,
    ...(extra.restartPolicy ? [`  restartPolicy: ${extra.restartPolicy}`] : []),
    "  containers:",
    "  - name: main",
    `    image: ${IMAGE}`,
    `    command: ["sh", "-c", ${JSON.stringify(script)}]`,
    "",
  ].join("\n");
}

/** Runs the tinylet CLI to completion and returns its exit code and output. */
export async function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(BIN, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const code = await new Promise<number | null>((resolve) => child.on("exit", (exitCode) => resolve(exitCode)));
  return { code, stdout, stderr };
}
