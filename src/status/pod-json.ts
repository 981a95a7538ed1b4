/**
 * Serializes the internal Pod model as a Kubernetes v1 Pod. The model keeps Kubernetes' field
 * names, so most fields are copied. A few are kept in another form (env references to pod fields,
 * resource amounts in millicores and bytes), and these are written back in Kubernetes' form here.
 */
import type { Pod } from "../manifest/index.js";
import type { PodEvent } from "./events.js";
import { isoSeconds } from "./pod-status.js";
import type { PodStatus, V1Event, V1Pod } from "./k8s-types.js";

/** Facts about a pod that only the node has. */
export interface PodMeta {
  /** When tinylet first read this pod version, in milliseconds since the epoch. */
  firstSeenMs: number | undefined;
  /** The ready sandbox the pod runs in, if any. */
  sandboxId: string | undefined;
  nodeName: string;
}

/** Annotation naming the sandbox a pod runs in, for `tinylet pods -q` and people reading /pods. */
export const SANDBOX_ID_ANNOTATION = "tinylet.io/sandbox-id";

/** Builds the v1 Pod for a pod and its status. */
export function podObject(pod: Pod, status: PodStatus, meta: PodMeta): V1Pod {
  const annotations: Record<string, string> = {
    ...pod.annotations,
    "kubernetes.io/config.source": "file",
    "kubernetes.io/config.hash": pod.uid,
    "tinylet.io/manifest": pod.source.file,
  };
  if (meta.firstSeenMs !== undefined) annotations["kubernetes.io/config.seen"] = new Date(meta.firstSeenMs).toISOString();
  if (meta.sandboxId !== undefined) annotations[SANDBOX_ID_ANNOTATION] = meta.sandboxId;

  const metadata: V1Pod["metadata"] = {
    name: pod.name,
    namespace: pod.namespace,
    uid: pod.uid,
    creationTimestamp: meta.firstSeenMs === undefined ? null : isoSeconds(meta.firstSeenMs),
    annotations,
  };
  if (Object.keys(pod.labels).length > 0) metadata.labels = { ...pod.labels };
  return { kind: "Pod", apiVersion: "v1", metadata, spec: podSpec(pod, meta.nodeName), status };
}

/** Returns the pod's spec in Kubernetes' JSON form. */
export function podSpec(pod: Pod, nodeName: string): Record<string, unknown> {
  const { uid: _uid, name: _name, namespace: _namespace, labels: _labels, annotations: _annotations, source: _source, ...spec } = pod;
  const result: Record<string, unknown> = toKubernetes(spec) as Record<string, unknown>;
  result["nodeName"] = nodeName;
  if (pod.initContainers.length === 0) delete result["initContainers"];
  return result;
}

/** Converts model values to Kubernetes' form, key by key; see the file comment. */
function toKubernetes(value: unknown, key = ""): unknown {
  if (Array.isArray(value)) return value.map((item) => toKubernetes(item, key));
  if (value === null || typeof value !== "object") return value;

  const record = value as Record<string, unknown>;
  if (key === "env" && typeof record["fieldPath"] === "string") {
    return { name: record["name"], valueFrom: { fieldRef: { fieldPath: record["fieldPath"] } } };
  }
  if ((key === "requests" || key === "limits") && ("cpuMillis" in record || "memoryBytes" in record)) {
    const amounts: Record<string, string> = {};
    if (typeof record["cpuMillis"] === "number") amounts["cpu"] = `${record["cpuMillis"]}m`;
    if (typeof record["memoryBytes"] === "number") amounts["memory"] = String(record["memoryBytes"]);
    return amounts;
  }

  const result: Record<string, unknown> = {};
  for (const [name, item] of Object.entries(record)) {
    if (item === undefined) continue;
    if (name === "sizeLimitBytes" && typeof item === "number") {
      result["sizeLimit"] = String(item);
      continue;
    }
    result[name] = toKubernetes(item, name);
  }
  return result;
}

/** Builds a v1 Event for a recorded pod event. */
export function eventObject(event: PodEvent, index: number, nodeName: string): V1Event {
  const involvedObject: V1Event["involvedObject"] = {
    kind: "Pod",
    apiVersion: "v1",
    name: event.pod.name,
    namespace: event.pod.namespace,
    uid: event.pod.uid,
  };
  if (event.container !== undefined) involvedObject.fieldPath = `spec.containers{${event.container}}`;
  return {
    kind: "Event",
    apiVersion: "v1",
    metadata: {
      name: `${event.pod.name}.${event.firstTimestampMs.toString(16)}${index.toString(16)}`,
      namespace: event.pod.namespace,
      creationTimestamp: isoSeconds(event.firstTimestampMs),
    },
    involvedObject,
    reason: event.reason,
    message: event.message,
    type: event.type,
    count: event.count,
    firstTimestamp: isoSeconds(event.firstTimestampMs),
    lastTimestamp: isoSeconds(event.lastTimestampMs),
    source: { component: "tinylet", host: nodeName },
  };
}
