/** Drives one probe state machine with real timers and real probe runs. */
import type { Probe, ProbeType } from "../manifest/index.js";
import type { ProbeRunner } from "./run-probe.js";
import { initialProbeState, nextProbeState, type ProbeEvent, type ProbeOutcome, type ProbeResult, type ProbeState } from "./state.js";
import type { ProbeTarget } from "./target.js";

/** Options of a ProbeWorker. */
export interface ProbeWorkerOptions {
  type: ProbeType;
  probe: Probe;
  target: ProbeTarget;
  /** When the container started, in milliseconds since the epoch; initialDelaySeconds counts from here. */
  startedAtMs: number;
  run: ProbeRunner;
  /** Reports whether the container counts as started; liveness and readiness wait for it. */
  isStarted: () => boolean;
  /** Receives every finished probe run. */
  onOutcome: (outcome: ProbeOutcome, durationMs: number) => void;
  /** Receives each change of the reported result, with the run that caused it. */
  onChange: (result: ProbeResult, outcome: ProbeOutcome) => void;
  /** Clock in milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
}

/**
 * One probe of one container instance. Its timer is unref'd, so probing never keeps the process
 * alive by itself.
 */
export class ProbeWorker {
  private state: ProbeState;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly options: ProbeWorkerOptions) {
    this.now = options.now ?? Date.now;
    this.state = initialProbeState(options.type, options.probe, options.startedAtMs);
  }

  /** The result the probe reports now. */
  get result(): ProbeResult {
    return this.state.result;
  }

  /** The state machine's current state, for tests and debug output. */
  get current(): ProbeState {
    return this.state;
  }

  /** Starts the worker, or re-checks it after the container's started state changed. */
  poke(): void {
    this.apply({ type: "tick", nowMs: this.now(), started: this.options.isStarted() });
  }

  /** Stops the worker; a probe in flight finishes but its outcome is dropped. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.apply({ type: "stop" });
  }

  private apply(event: ProbeEvent): void {
    const transition = nextProbeState(this.options.type, this.options.probe, this.state, event);
    this.state = transition.state;

    if (transition.wakeAtMs !== undefined) {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.poke(), Math.max(0, transition.wakeAtMs - this.now()));
      this.timer.unref();
    }
    if (transition.changed) {
      const outcome = event.type === "finished" ? event.outcome : { result: this.state.result, message: "" };
      this.options.onChange(this.state.result, outcome);
    }
    if (transition.runProbe) {
      void this.runOnce();
    }
  }

  private async runOnce(): Promise<void> {
    const started = performance.now();
    let outcome: ProbeOutcome;
    try {
      outcome = await this.options.run(this.options.probe, this.options.target);
    } catch (error) {
      outcome = { result: "unknown", message: error instanceof Error ? error.message : String(error) };
    }
    if (this.state.kind === "stopped") {
      return;
    }
    this.options.onOutcome(outcome, performance.now() - started);
    this.apply({ type: "finished", nowMs: this.now(), outcome, started: this.options.isStarted() });
  }
}
