/**
 * Stopping and starting the lab's containerd from end-to-end tests, to simulate a runtime restart.
 * `lab.sh stop-containerd` leaves the shims and containers running and marks the stop, so the next
 * `lab.sh up` starts containerd again on the same state instead of cleaning up after a crash.
 * Every test that stops containerd must call ensureLabUp before it ends, because other tests and
 * other people share the lab.
 */
import { execFile } from "node:child_process";
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
