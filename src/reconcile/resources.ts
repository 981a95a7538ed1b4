/**
 * CPU and memory, as kubelet turns them into cgroup settings: the pod's QoS class, its cgroup
 * parent, and each container's CFS shares and quota, memory limit and OOM score adjustment.
 */
import type { Container, Pod } from "../manifest/index.js";
import type { CgroupDriver } from "./node.js";

/** Kubernetes' QoS classes. */
export type QosClass = "Guaranteed" | "Burstable" | "BestEffort";

/** CFS period kubelet uses, in microseconds (100 ms). */
export const CPU_PERIOD_US = 100_000;
/** Smallest CFS quota the kernel accepts, in microseconds. */
const MIN_QUOTA_US = 1_000;
/** cpu.shares bounds of cgroup v1. */
const MIN_SHARES = 2;
const MAX_SHARES = 262_144;
const SHARES_PER_CPU = 1_024;

/** OOM score adjustments kubelet gives (Kubernetes 1.32). */
const GUARANTEED_OOM_SCORE_ADJ = -997;
const BEST_EFFORT_OOM_SCORE_ADJ = 1000;

/** The priority class that makes a static pod node-critical, so its containers are the last the kernel kills. */
export const NODE_CRITICAL_PRIORITY_CLASS = "system-node-critical";

/**
 * Returns the pod's QoS class. BestEffort: no container requests or limits cpu or memory.
 * Guaranteed: every container, init containers included, limits both, and the requests equal the
 * limits. Burstable: anything else.
 */
export function qosClass(pod: Pick<Pod, "containers" | "initContainers">): QosClass {
  const containers = [...pod.containers, ...pod.initContainers];
  let anySet = false;
  let guaranteed = true;
  for (const container of containers) {
    const requests = container.resources?.requests ?? {};
    const limits = container.resources?.limits ?? {};
    if (requests.cpuMillis || requests.memoryBytes || limits.cpuMillis || limits.memoryBytes) anySet = true;
    if (!limits.cpuMillis || !limits.memoryBytes) guaranteed = false;
    if ((requests.cpuMillis ?? 0) !== (limits.cpuMillis ?? 0) || (requests.memoryBytes ?? 0) !== (limits.memoryBytes ?? 0)) {
      guaranteed = false;
    }
  }
  if (!anySet) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

/**
 * Returns the pod's cgroup parent in kubelet's layout: `/kubepods/pod<UID>` for Guaranteed pods,
 * `/kubepods/burstable/pod<UID>` and `/kubepods/besteffort/pod<UID>` for the others; as systemd
 * slices with the systemd driver, and "" (the runtime's default) with "none".
 */
export function cgroupParent(pod: Pick<Pod, "uid" | "containers" | "initContainers">, driver: CgroupDriver): string {
  if (driver === "none") return "";
  const qos = qosClass(pod);
  const parts = qos === "Guaranteed" ? ["kubepods", `pod${pod.uid}`] : ["kubepods", qos.toLowerCase(), `pod${pod.uid}`];
  if (driver === "cgroupfs") return `/${parts.join("/")}`;

  // systemd: each level is a slice named after all the levels above it, with '-' in names escaped as '_'.
  const escaped = parts.map((part) => part.replaceAll("-", "_"));
  return "/" + escaped.map((_, index) => `${escaped.slice(0, index + 1).join("-")}.slice`).join("/");
}

/** The cgroup settings of one container, in the CRI's units. */
export interface LinuxResources {
  cpuShares: bigint;
  cpuPeriod: bigint;
  cpuQuota: bigint;
  memoryLimitInBytes: bigint;
  oomScoreAdj: bigint;
}

/**
 * Returns a container's cgroup settings: shares from its cpu request (or limit), a CFS quota from
 * its cpu limit (0, no quota, without one), its memory limit (0, none, without one) and its OOM
 * score adjustment.
 */
export function linuxResources(pod: Pod, container: Container, memoryCapacityBytes: number): LinuxResources {
  const requests = container.resources?.requests ?? {};
  const limits = container.resources?.limits ?? {};
  return {
    cpuShares: BigInt(milliCpuToShares(requests.cpuMillis ?? limits.cpuMillis ?? 0)),
    cpuPeriod: BigInt(CPU_PERIOD_US),
    cpuQuota: BigInt(milliCpuToQuota(limits.cpuMillis ?? 0)),
    memoryLimitInBytes: BigInt(limits.memoryBytes ?? 0),
    oomScoreAdj: BigInt(oomScoreAdjust(pod, container, memoryCapacityBytes)),
  };
}

/** Converts millicores to cgroup v1 cpu.shares: 1024 per core, within 2-262144. */
export function milliCpuToShares(milliCpu: number): number {
  if (milliCpu === 0) return MIN_SHARES;
  const shares = Math.floor((milliCpu * SHARES_PER_CPU) / 1000);
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, shares));
}

/** Converts a millicore limit to a CFS quota per CPU_PERIOD_US; 0 means no limit. */
export function milliCpuToQuota(milliCpu: number): number {
  if (milliCpu === 0) return 0;
  return Math.max(MIN_QUOTA_US, Math.floor((milliCpu * CPU_PERIOD_US) / 1000));
}

/**
 * Returns the OOM score adjustment kubelet gives a container: -997 for node-critical static pods
 * and Guaranteed pods, 1000 for BestEffort, and for Burstable 1000 less the container's share of
 * the node's memory in thousandths, kept within 3-999.
 */
export function oomScoreAdjust(pod: Pod, container: Container, memoryCapacityBytes: number): number {
  if (pod.priorityClassName === NODE_CRITICAL_PRIORITY_CLASS) return GUARANTEED_OOM_SCORE_ADJ;
  const qos = qosClass(pod);
  if (qos === "Guaranteed") return GUARANTEED_OOM_SCORE_ADJ;
  if (qos === "BestEffort") return BEST_EFFORT_OOM_SCORE_ADJ;

  const request = container.resources?.requests?.memoryBytes ?? 0;
  const adjust = 1000 - Math.floor((1000 * request) / memoryCapacityBytes);
  if (adjust < 1000 + GUARANTEED_OOM_SCORE_ADJ) return 1000 + GUARANTEED_OOM_SCORE_ADJ;
  if (adjust === BEST_EFFORT_OOM_SCORE_ADJ) return adjust - 1;
  return adjust;
}
