/**
 * Stopping and starting the lab's containerd from end-to-end tests, to simulate a runtime restart.
 * `lab.sh stop-containerd` leaves the shims and containers running and marks the stop, so the next
 * `lab.sh up` starts containerd again on the same state instead of cleaning up after a crash.
 * Every test that stops containerd must call ensureLabUp before it ends, because other tests and
 * other people share the lab.
 */
import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

import { CriClient } from "../../src/cri/index.js";
import { REPO_ROOT, SOCKET } from "./harness.js";

const run = promisify(execFile);

const LAB_SCRIPT = path.join(REPO_ROOT, "lab/lab.sh");

/** Maximum time `lab.sh up` may take when only containerd has to start, in milliseconds. */
const LAB_UP_TIMEOUT_MS = 120_000;

/** Stops the lab's containerd with SIGTERM, or SIGKILL when `kill` is set; its containers keep running. */
export async function stopContainerd(kill = false): Promise<void> {
  await run("bash", [LAB_SCRIPT, "stop-containerd", ...(kill ? ["--kill"] : [])], { timeout: 60_000 });
}

/** Starts whatever part of the lab is down; a containerd stopped by stopContainerd keeps its pods. */
export async function labUp(): Promise<void> {
  await run("bash", [LAB_SCRIPT, "up"], { timeout: LAB_UP_TIMEOUT_MS });
}

/** Reports whether the lab's CRI socket responds to a Version call within two seconds. */
export async function runtimeResponds(): Promise<boolean> {
  const cri = new CriClient({ socketPath: SOCKET, callTimeoutMs: 2_000 });
  try {
    await cri.version();
    return true;
  } catch {
    return false;
  } finally {
    cri.close();
  }
}

/** Brings the lab back up when its runtime does not respond; for the cleanup of every fault test. */
export async function ensureLabUp(): Promise<void> {
  if (!(await runtimeResponds())) {
    await labUp();
  }
}

/**
 * Describes the lab's shims whose -id is neither a sandbox nor a container that the runtime lists,
 * such as the shim of a sandbox whose creation a containerd stop cut short. The shims are read
 * before the lists, because containerd records a sandbox before it starts the sandbox's shim.
 */
export async function orphanedShims(cri: CriClient): Promise<string[]> {
  const shims = await labShims();
  const [sandboxes, containers] = await Promise.all([cri.listPodSandbox(), cri.listContainers()]);
  const known = new Set([...sandboxes.map((sandbox) => sandbox.id), ...containers.map((container) => container.id)]);
  return shims.filter((shim) => !known.has(shim.id)).map((shim) => `shim pid ${shim.pid} for ${shim.id.slice(0, 13)}`);
}

/** Lists the containerd-shim-runc-v2 processes started by the lab's containerd for the CRI's namespace. */
async function labShims(): Promise<{ pid: string; id: string }[]> {
  const shims: { pid: string; id: string }[] = [];
  for (const pid of await readdir("/proc")) {
    if (!/^[0-9]+$/.test(pid)) continue;
    let args: string[];
    try {
      args = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0");
    } catch {
      continue; // The process ended after the listing.
    }
    if (!(args[0] ?? "").endsWith("containerd-shim-runc-v2")) continue;
    const option = (name: string): string | undefined => {
      const index = args.indexOf(name);
      return index < 0 ? undefined : args[index + 1];
    };
    const id = option("-id");
    if (option("-address") === SOCKET && option("-namespace") === "k8s.io" && id !== undefined) shims.push({ pid, id });
  }
  return shims;
}
