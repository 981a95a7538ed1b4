/**
 * The parts of Kubernetes' core/v1 JSON that tinylet serves: Pod, PodList, PodStatus and its
 * container statuses, and Event. Field names and optionality follow k8s.io/api core/v1; times are
 * RFC 3339 strings.
 */

export interface ObjectMeta {
  name: string;
  namespace: string;
  uid: string;
  creationTimestamp: string | null;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface ContainerStateWaiting {
  reason?: string;
  message?: string;
}

export interface ContainerStateRunning {
  startedAt: string | null;
}

export interface ContainerStateTerminated {
  exitCode: number;
  signal?: number;
  reason?: string;
  message?: string;
  startedAt: string | null;
  finishedAt: string | null;
  containerID?: string;
}

/** Exactly one member is set; an empty object means the state is not known. */
export interface ContainerState {
  waiting?: ContainerStateWaiting;
  running?: ContainerStateRunning;
  terminated?: ContainerStateTerminated;
}

export interface ContainerStatus {
  name: string;
  state: ContainerState;
  lastState: ContainerState;
  ready: boolean;
  restartCount: number;
  image: string;
  imageID: string;
  containerID?: string;
  started?: boolean;
}

export type ConditionStatus = "True" | "False" | "Unknown";

export interface PodCondition {
  type: "PodScheduled" | "Initialized" | "ContainersReady" | "Ready";
  status: ConditionStatus;
  lastProbeTime: string | null;
  lastTransitionTime: string | null;
  reason?: string;
  message?: string;
}

export type PodPhase = "Pending" | "Running" | "Succeeded" | "Failed" | "Unknown";

export interface PodIP {
  ip: string;
}

export interface PodStatus {
  phase: PodPhase;
  conditions: PodCondition[];
  hostIP?: string;
  hostIPs?: PodIP[];
  podIP?: string;
  podIPs?: PodIP[];
  startTime?: string;
  qosClass?: "Guaranteed" | "Burstable" | "BestEffort";
  initContainerStatuses?: ContainerStatus[];
  containerStatuses: ContainerStatus[];
}

export interface V1Pod {
  kind: "Pod";
  apiVersion: "v1";
  metadata: ObjectMeta;
  spec: Record<string, unknown>;
  status: PodStatus;
}

export interface V1PodList {
  kind: "PodList";
  apiVersion: "v1";
  metadata: Record<string, never>;
  items: V1Pod[];
}

export interface V1Event {
  kind: "Event";
  apiVersion: "v1";
  metadata: { name: string; namespace: string; creationTimestamp: string | null };
  involvedObject: { kind: "Pod"; apiVersion: "v1"; name: string; namespace: string; uid: string; fieldPath?: string };
  reason: string;
  message: string;
  type: "Normal" | "Warning";
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  source: { component: string; host?: string };
}

export interface V1EventList {
  kind: "EventList";
  apiVersion: "v1";
  metadata: Record<string, never>;
  items: V1Event[];
}
