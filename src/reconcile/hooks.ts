/**
 * Lifecycle hooks: `postStart` runs right after a container starts, `preStop` before it is stopped.
 * Both are exec hooks run through CRI ExecSync. A container's preStop hook is also written to an
 * annotation when the container is created, as kubelet does, so a container whose pod is no longer
 * in any manifest still runs its hook when it is stopped.
 */
import { CriError, type Container as CriContainer, type CriClient } from "../cri/index.js";
import type { LifecycleHandler } from "../manifest/index.js";
import { PRE_STOP_ANNOTATION } from "./labels.js";

/** Shortest time StopContainer gets after a preStop hook, in seconds, as kubelet grants. */
export const MIN_GRACE_AFTER_PRE_STOP_SECONDS = 2;

/**
 * Longest a postStart hook may run, in seconds. Kubelet sets no limit; one is set here so that a
 * hook that never returns cannot hold the pod's worker forever.
 */
export const POST_START_TIMEOUT_SECONDS = 120;

/** Result of a hook: undefined when it succeeded, else a sentence saying why not. */
export type HookFailure = string | undefined;

/** Runs an exec hook for at most `timeoutSeconds`; returns why it failed, or undefined. */
export async function runHook(cri: CriClient, containerId: string, handler: LifecycleHandler, timeoutSeconds: number): Promise<HookFailure> {
  try {
    const response = await cri.execSync(containerId, handler.exec.command, Math.max(1, timeoutSeconds));
    if (response.exitCode === 0) {
      return undefined;
    }
    const output = Buffer.concat([Buffer.from(response.stdout), Buffer.from(response.stderr)]).toString("utf8").trim();
    return `command ${JSON.stringify(handler.exec.command)} exited with ${response.exitCode}${output ? `: ${output.slice(0, 512)}` : ""}`;
  } catch (error) {
    const criError = error instanceof CriError ? error : CriError.from("ExecSync", cri.socketPath, error);
    return `command ${JSON.stringify(handler.exec.command)} failed: ${criError.message}`;
  }
}

/**
 * Runs a preStop hook within the grace period and returns the seconds left for StopContainer, at
 * least MIN_GRACE_AFTER_PRE_STOP_SECONDS, with the hook's failure if any.
 */
export async function runPreStop(
  cri: CriClient,
  containerId: string,
  handler: LifecycleHandler,
  gracePeriodSeconds: number,
): Promise<{ remainingSeconds: number; failure: HookFailure }> {
  const started = performance.now();
  const failure = await runHook(cri, containerId, handler, gracePeriodSeconds);
  const elapsedSeconds = Math.ceil((performance.now() - started) / 1000);
  return { remainingSeconds: Math.max(gracePeriodSeconds - elapsedSeconds, MIN_GRACE_AFTER_PRE_STOP_SECONDS), failure };
}

/** Encodes a preStop hook for the container annotation. */
export function encodePreStop(handler: LifecycleHandler): string {
  return JSON.stringify(handler);
}

/** Reads the preStop hook from a listed container's annotation; undefined when absent or unreadable. */
export function preStopOf(container: Pick<CriContainer, "annotations">): LifecycleHandler | undefined {
  return parsePreStop(container.annotations[PRE_STOP_ANNOTATION]);
}

/** Reads a preStop hook from the text of its annotation. Returns undefined for no text, or for text tinylet did not write. */
export function parsePreStop(text: string | undefined): LifecycleHandler | undefined {
  if (text === undefined || text === "") {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as { exec?: { command?: unknown } };
    const command = parsed.exec?.command;
    if (Array.isArray(command) && command.length > 0 && command.every((part) => typeof part === "string")) {
      return { exec: { command: command as string[] } };
    }
  } catch {
    // An annotation written by something else; there is no hook to run.
  }
  return undefined;
}
