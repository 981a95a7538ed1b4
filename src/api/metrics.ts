/**
 * tinylet's Prometheus metrics, in a registry of their own (prom-client's global one is left
 * alone). Durations are in seconds, as Prometheus names them.
 */
import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";

import type { CriCallEvent } from "../cri/index.js";
import { codeName } from "../cri/index.js";
import type { ProbeType } from "../manifest/index.js";
import type { ProbeResult } from "../probe/index.js";
import type { PodRef } from "../status/events.js";

/** Every metric name tinylet defines, for tests and docs. */
export const METRIC_NAMES = [
  "tinylet_reconcile_pass_duration_seconds",
  "tinylet_cri_call_duration_seconds",
  "tinylet_pod_start_duration_seconds",
  "tinylet_container_restarts_total",
  "tinylet_probe_results_total",
  "tinylet_manifests_rejected_total",
] as const;

/** The metrics and the methods that feed them. */
export class Metrics {
  readonly registry = new Registry();

  private readonly passDuration = new Histogram({
    name: "tinylet_reconcile_pass_duration_seconds",
    help: "Time of one reconcile pass: scan the manifests, list the runtime, plan and dispatch.",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  private readonly criCalls = new Histogram({
    name: "tinylet_cri_call_duration_seconds",
    help: "Latency of CRI calls by method and result (ok, or the gRPC status name).",
    labelNames: ["method", "result"],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  private readonly podStart = new Histogram({
    name: "tinylet_pod_start_duration_seconds",
    help: "Time from first reading a pod version's manifest to all its containers running.",
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300],
    registers: [this.registry],
  });

  private readonly restarts = new Counter({
    name: "tinylet_container_restarts_total",
    help: "Container instances started after an earlier instance of the same container.",
    labelNames: ["namespace", "pod", "container"],
    registers: [this.registry],
  });

  private readonly probes = new Counter({
    name: "tinylet_probe_results_total",
    help: "Probe runs by probe type and result (success, failure, unknown).",
    labelNames: ["probe_type", "result", "namespace", "pod", "container"],
    registers: [this.registry],
  });

  private readonly rejected = new Counter({
    name: "tinylet_manifests_rejected_total",
    help: "Manifest errors reported: each invalid file counts once per change.",
    registers: [this.registry],
  });

  constructor() {
    // The event loop delay is sampled once a second: prom-client's default of 10 ms wakes the idle
    // process 100 times a second, which alone cost about 0.4 % of a core.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 1000 });
  }

  observePass(durationMs: number): void {
    this.passDuration.observe(durationMs / 1000);
  }

  observeCriCall(event: CriCallEvent): void {
    const result = event.error === undefined ? "ok" : codeName(event.error.code).replaceAll(" ", "_");
    this.criCalls.observe({ method: event.method, result }, event.durationMs / 1000);
  }

  observePodStart(latencyMs: number): void {
    this.podStart.observe(latencyMs / 1000);
  }

  countRestart(pod: PodRef, container: string): void {
    this.restarts.inc({ namespace: pod.namespace, pod: pod.name, container });
  }

  // NOTE: series of pods that are gone are kept until tinylet restarts; static pods are few.
  countProbe(type: ProbeType, pod: PodRef, container: string, result: ProbeResult): void {
    this.probes.inc({ probe_type: type, result, namespace: pod.namespace, pod: pod.name, container });
  }

  countRejected(): void {
    this.rejected.inc();
  }

  /** Returns the exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
