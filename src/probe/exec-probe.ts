/** Exec probes: a command run in the container through CRI ExecSync. */
import { CriError, type CriClient } from "../cri/index.js";
import type { ExecAction } from "../manifest/index.js";
import type { ProbeOutcome } from "./state.js";

/** Longest command output kept in a failure message, in characters. */
const MAX_MESSAGE_LENGTH = 1024;

/**
 * Runs `action` in the container; exit code 0 is success. A command that outlasts `timeoutSeconds`
 * is a failure, as in kubelet since 1.20, whether the runtime reports the timeout or the call's own
 * deadline does. Other errors of the call (the container is gone, the runtime is unreachable) are
 * `unknown`, which the prober does not count.
 */
export async function runExecProbe(cri: CriClient, containerId: string, action: ExecAction, timeoutSeconds: number): Promise<ProbeOutcome> {
  try {
    const response = await cri.execSync(containerId, action.command, timeoutSeconds);
    if (response.exitCode === 0) {
      return { result: "success", message: "" };
    }
    const output = Buffer.concat([Buffer.from(response.stdout), Buffer.from(response.stderr)]).toString("utf8").trim();
    const detail = output === "" ? `command exited with code ${response.exitCode}` : output;
    return { result: "failure", message: detail.slice(0, MAX_MESSAGE_LENGTH) };
  } catch (error) {
    const criError = error instanceof CriError ? error : CriError.from("ExecSync", cri.socketPath, error);
    if (isTimeout(criError)) {
      return { result: "failure", message: `command timed out after ${timeoutSeconds}s` };
    }
    return { result: "unknown", message: criError.message };
  }
}

/** Reports whether an ExecSync error is the command's timeout; containerd 1.6 reports it in the details. */
export function isTimeout(error: CriError): boolean {
  return error.deadlineExceeded || /timeout .* exceeded|deadline exceeded/i.test(error.details);
}
