/**
 * Crash points for fault tests. When the environment variable TINYLET_TEST_CRASH_AT names an
 * executor step, tinylet kills itself with SIGKILL the first time it reaches that step. A test can
 * so stop it at an exact point of a plan and check what the next start makes of the runtime.
 * The value is `STEP` or `STEP@NAMESPACE/NAME`, which limits the crash to one pod. When the
 * variable is unset, crashPoint does nothing.
 */

/** Executor steps a test can crash at, in the order a plan reaches them. */
export const CRASH_STEPS = [
  /** Teardown: the sandbox's containers are stopped, the sandbox is not. */
  "after-stop-containers",
  /** Teardown: the sandbox is stopped, not removed. */
  "after-stop-sandbox",
  /** The new sandbox runs, no container was created in it. */
  "after-run-sandbox",
  /** A container is created, not started. */
  "after-create-container",
] as const;

export type CrashStep = (typeof CRASH_STEPS)[number];

/** Environment variable that arms a crash point. */
export const CRASH_AT_VARIABLE = "TINYLET_TEST_CRASH_AT";

/** An armed crash point: the step, and the `namespace/name` of the only pod it applies to, if any. */
export interface CrashTarget {
  step: CrashStep;
  pod: string | undefined;
}

/**
 * Reads TINYLET_TEST_CRASH_AT. Returns undefined when it is unset or empty, and throws when it
 * names no known step, so a typo cannot leave a fault test waiting for a crash that never comes.
 */
export function readCrashTarget(env: NodeJS.ProcessEnv = process.env): CrashTarget | undefined {
  const value = env[CRASH_AT_VARIABLE];
  if (value === undefined || value === "") {
    return undefined;
  }
  const at = value.indexOf("@");
  const step = at < 0 ? value : value.slice(0, at);
  if (!(CRASH_STEPS as readonly string[]).includes(step)) {
    throw new Error(`invalid ${CRASH_AT_VARIABLE} "${value}": expected STEP or STEP@NAMESPACE/NAME, STEP one of ${CRASH_STEPS.join(", ")}`);
  }
  return { step: step as CrashStep, pod: at < 0 ? undefined : value.slice(at + 1) };
}

/** The armed crash point; the daemon reports an invalid value at start-up by calling readCrashTarget. */
let target: CrashTarget | undefined;
try {
  target = readCrashTarget();
} catch {
  target = undefined;
}

/** Kills the process with SIGKILL when TINYLET_TEST_CRASH_AT names this step (and this pod). */
export function crashPoint(step: CrashStep, podKey: string): void {
  if (target === undefined || target.step !== step || (target.pod !== undefined && target.pod !== podKey)) {
    return;
  }
  process.kill(process.pid, "SIGKILL");
}
