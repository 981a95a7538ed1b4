/**
 * The internal Pod model: what every manifest format is read into, and the only shape the planner
 * and executor see. It covers the part of the Kubernetes Pod spec that tinylet runs; fields a format
 * leaves out take Kubernetes' defaults.
 */

import type { ContainerSpecFields, PodSpecFields, ResourceFieldRef } from "./pod-spec.js";
import type { ContainerProbes } from "./probe.js";

/** Restart policy of the pod's containers, with Kubernetes' names; the default is Always. */
export type RestartPolicy = "Always" | "OnFailure" | "Never";

/** Transport protocol of a container port; the default is TCP. */
export type PortProtocol = "TCP" | "UDP" | "SCTP";

/** A port a container listens on, optionally published on the host. */
export interface ContainerPort {
  name?: string;
  containerPort: number;
  /** Host port to map to containerPort; 0 or absent publishes nothing. */
  hostPort?: number;
  /** Host address the mapping binds to; empty means every address. */
  hostIP?: string;
  protocol: PortProtocol;
}

/** An environment variable: a literal value, or a field of the pod (`valueFrom.fieldRef`). */
export interface EnvVar {
  name: string;
  /** The literal value; `$(NAME)` references are expanded when the container is created. */
  value: string;
  /** Set for `valueFrom.fieldRef`, such as `status.podIP`; the value is then resolved at creation. */
  fieldPath?: string;
  /** Set for `valueFrom.resourceFieldRef`; the value is then resolved at creation. */
  resourceFieldRef?: ResourceFieldRef;
}

/** One container of a pod; its probes and lifecycle hooks are described in probe.ts. */
export interface Container extends ContainerProbes, ContainerSpecFields {
  name: string;
  image: string;
  /** Replaces the image's entrypoint when non-empty. */
  command: string[];
  /** Replaces the image's cmd when non-empty. */
  args: string[];
  env: EnvVar[];
  workingDir?: string;
  ports: ContainerPort[];
}

/** Where a pod came from: the file and, in a multi-document file, which document. */
export interface PodSource {
  /** Absolute path of the manifest file. */
  file: string;
  /** Zero-based index of the document within the file. */
  document: number;
  /** One-based line where the document starts. */
  line: number;
}

/** A desired pod, read from one manifest document. */
export interface Pod extends PodSpecFields {
  /**
   * 32 hexadecimal characters derived from the pod's content (see podUID); the same content gives
   * the same UID whatever file or document it is read from.
   */
  uid: string;
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  restartPolicy: RestartPolicy;
  /** Seconds a container gets between SIGTERM and SIGKILL; Kubernetes' default is 30. */
  terminationGracePeriodSeconds: number;
  hostNetwork: boolean;
  /** Run one at a time, in order, each to success, before the containers start. */
  initContainers: Container[];
  containers: Container[];
  source: PodSource;
}

/** The part of a Pod that its manifest defines: everything but the UID and the source. */
export type PodContent = Omit<Pod, "uid" | "source">;

/** Namespace used when a manifest names none, as in Kubernetes. */
export const DEFAULT_NAMESPACE = "default";

/** Grace period used when a manifest sets none, as in Kubernetes. */
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;

/** Returns the `namespace/name` key that identifies a pod on this node. */
export function podKey(pod: { namespace: string; name: string }): string {
  return `${pod.namespace}/${pod.name}`;
}
