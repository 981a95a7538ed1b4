/**
 * File event to first CRI call. tinylet runs behind the timestamping proxy and pods are written one
 * at a time. Each sample runs from the manifest's rename into the directory to the arrival of that
 * pod's RunPodSandbox at the proxy, the first call that names the pod. The same samples give the
 * breakdown of one pod's start.
 */
import { delay, WAIT_TIMEOUT_MS, withTinylet, type BenchContext } from "./context.js";
import { startCriProxy, type ProxiedCall } from "./cri-proxy.js";
import type { LogEvent } from "./tinylet-process.js";
import type { BenchPod } from "./workload.js";

/** Maximum random pause before a write, in milliseconds, so samples fall at different points of the pass timer. */
const MAX_JITTER_MS = 150;

/** Stages of one pod's start, in milliseconds; see the report for what each covers. */
export interface StartBreakdown {
  /** Rename to RunPodSandbox arriving at the runtime: the target's "file event to first CRI call". */
  eventToFirstCallMs: number;
  /** Rename to tinylet's "executing plan" log line (millisecond resolution). */
  eventToPlanMs: number;
  /** Rename to the first List call of the pass that picks the file up. */
  eventToListMs: number;
  /** First List call arriving to the last List response, in that pass. */
  listsMs: number;
  /** Last List response to "executing plan" (planning and dispatch). */
  listsToPlanMs: number;
  /** "executing plan" to RunPodSandbox arriving (files prepared for the pod on the way). */
  planToRunMs: number;
  /** Time spent in the pod's calls from RunPodSandbox to StartContainer, added up by method. */
  callMs: Record<string, number>;
  /** Number of those calls by method. */
  callCounts: Record<string, number>;
  /** RunPodSandbox arriving to the StartContainer response, less the time in calls, which leaves tinylet's own work between calls. */
  betweenCallsMs: number;
  /** StartContainer response to tinylet's "started container" line. */
  startToLogMs: number;
  /** Rename to "started container". */
  totalMs: number;
}

/**
 * Writes each pod alone and records its breakdown, then deletes them all. Pods stay running until
 * the end, so later samples see a runtime with more pods, as a growing node would.
 */
export async function latencyScenario(ctx: BenchContext, warmup: BenchPod, pods: readonly BenchPod[]): Promise<StartBreakdown[]> {
  const proxy = await startCriProxy(ctx.socket);
  const closeProxy = (): Promise<void> => proxy.close();
  ctx.closers.add(closeProxy);

  try {
    return await withTinylet(ctx, { name: "latency", socket: proxy.socketPath, maxParallel: 4, logLevel: "debug" }, async (tinylet) => {
      const samples: StartBreakdown[] = [];
      const written: BenchPod[] = [];

      for (const pod of [warmup, ...pods]) {
        await ctx.writer.stage([pod]);
        await delay(Math.random() * MAX_JITTER_MS);

        const runArrived = new Promise<number>((resolve) => {
          const listener = (method: string, key: string | undefined, arrivedMs: number): void => {
            if (method === "RunPodSandbox" && key === pod.key) {
              proxy.onArrival.delete(listener);
              resolve(arrivedMs);
            }
          };
          proxy.onArrival.add(listener);
        });
        const from = tinylet.events.length;
        const writtenWallMs = Date.now();
        const writtenMs = performance.now();
        await ctx.writer.publish([pod]);
        written.push(pod);

        const runArrivedMs = await runArrived;
        const plan = await tinylet.waitFor(`"executing plan" for ${pod.key}`, (event) => isFor(event, "executing plan", pod.key), from, WAIT_TIMEOUT_MS);
        const started = await tinylet.waitFor(`"started container" for ${pod.key}`, (event) => isFor(event, "started container", pod.key), from, WAIT_TIMEOUT_MS);
        // The worker requests one more pass when it finishes, so let that pass end before the next write.
        await tinylet.waitFor("the pass after the start", (event) => event.msg === "pass finished" && event.index > started.index, from, WAIT_TIMEOUT_MS);

        if (pod !== warmup) {
          const wallOffsetMs = writtenWallMs - writtenMs;
          samples.push(breakdown(proxy.calls, pod.key, writtenMs, runArrivedMs, plan.timeMs - wallOffsetMs, started.timeMs - wallOffsetMs));
        }
      }

      const from = tinylet.events.length;
      await ctx.writer.delete(written);
      await tinylet.waitForPods("removed sandbox", written.map((pod) => pod.key), from, WAIT_TIMEOUT_MS);
      return samples;
    });
  } finally {
    ctx.closers.delete(closeProxy);
    await proxy.close();
  }
}

function isFor(event: LogEvent, msg: string, key: string): boolean {
  return event.msg === msg && event.fields["pod"] === key;
}

/** Calls that every pass makes for all pods, so they are not counted as one pod's. */
const LIST_METHODS = new Set(["ListPodSandbox", "ListContainers"]);

/**
 * Splits one pod's start into stages from the proxy's record of calls. Times are performance.now()
 * milliseconds; log line times are converted to that clock by the caller. Only one pod starts at a
 * time here, so every call other than a List from the pod's RunPodSandbox to its StartContainer
 * response is that pod's.
 */
function breakdown(calls: readonly ProxiedCall[], key: string, writtenMs: number, runArrivedMs: number, planMs: number, startedMs: number): StartBreakdown {
  const run = calls.find((call) => call.method === "RunPodSandbox" && call.pod === key);
  if (run === undefined) {
    throw new Error(`the proxy recorded no RunPodSandbox response for ${key}`);
  }
  const podCalls = calls
    .filter((call) => !LIST_METHODS.has(call.method) && call.arrivedMs >= run.arrivedMs && call.respondedMs <= startedMs + 1)
    .sort((a, b) => a.arrivedMs - b.arrivedMs);
  const start = podCalls.filter((call) => call.method === "StartContainer").pop();
  if (start === undefined) {
    throw new Error(`the proxy recorded no StartContainer response for ${key} before its "started container" line`);
  }

  const callMs: Record<string, number> = {};
  const callCounts: Record<string, number> = {};
  let inCallsMs = 0;
  for (const call of podCalls) {
    const duration = call.respondedMs - call.arrivedMs;
    callMs[call.method] = (callMs[call.method] ?? 0) + duration;
    callCounts[call.method] = (callCounts[call.method] ?? 0) + 1;
    inCallsMs += duration;
  }

  // The pass that picked the file up made the last two List calls before the plan. An earlier pass
  // may fall in the window too, because it can scan the directory just before the rename.
  const lastList = (method: string): ProxiedCall => {
    const matching = calls.filter((call) => call.method === method && call.arrivedMs >= writtenMs && call.respondedMs <= planMs + 1);
    const last = matching[matching.length - 1];
    if (last === undefined) {
      throw new Error(`the proxy recorded no ${method} between the rename of ${key} and its plan`);
    }
    return last;
  };
  const sandboxList = lastList("ListPodSandbox");
  const containerList = lastList("ListContainers");
  const listsFrom = Math.min(sandboxList.arrivedMs, containerList.arrivedMs);
  const listsTo = Math.max(sandboxList.respondedMs, containerList.respondedMs);

  return {
    eventToFirstCallMs: runArrivedMs - writtenMs,
    eventToPlanMs: planMs - writtenMs,
    eventToListMs: listsFrom - writtenMs,
    listsMs: listsTo - listsFrom,
    listsToPlanMs: planMs - listsTo,
    planToRunMs: run.arrivedMs - planMs,
    callMs,
    callCounts,
    betweenCallsMs: start.respondedMs - run.arrivedMs - inCallsMs,
    startToLogMs: startedMs - start.respondedMs,
    totalMs: startedMs - writtenMs,
  };
}
