/**
 * Probe and lifecycle-hook fields of a container, in Kubernetes' core/v1 shape so that a pod's spec
 * serializes as Kubernetes writes it. Defaults are filled in when a manifest is read.
 */

/** Runs a command in the container; exit code 0 is success. */
export interface ExecAction {
  command: string[];
}

/** An HTTP header a probe sends. */
export interface HTTPHeader {
  name: string;
  value: string;
}

/** Sends an HTTP GET; a status from 200 to 399 is success. */
export interface HTTPGetAction {
  /** Default "/". */
  path: string;
  /** A port number, or the name of one of the container's ports. */
  port: number | string;
  /** Host to connect to; empty means the pod IP. */
  host?: string;
  /** Default HTTP; HTTPS skips certificate verification, as kubelet does. */
  scheme: "HTTP" | "HTTPS";
  httpHeaders: HTTPHeader[];
}

/** Opens a TCP connection; success when it is accepted. */
export interface TCPSocketAction {
  port: number | string;
  /** Host to connect to; empty means the pod IP. */
  host?: string;
}

/** Calls grpc.health.v1.Health/Check; success when the status is SERVING. */
export interface GRPCAction {
  port: number;
  /** Service name sent in the request; empty asks about the server as a whole. */
  service?: string;
}

/** A probe: exactly one action plus its timing, all in seconds. */
export interface Probe {
  exec?: ExecAction;
  httpGet?: HTTPGetAction;
  tcpSocket?: TCPSocketAction;
  grpc?: GRPCAction;
  /** Seconds after the container started before the first probe. Default 0. */
  initialDelaySeconds: number;
  /** Seconds between probes. Default 10. */
  periodSeconds: number;
  /** Seconds a probe may take before it counts as failed. Default 1. */
  timeoutSeconds: number;
  /** Consecutive successes that make a failed probe succeed again. Default 1, and 1 for liveness and startup. */
  successThreshold: number;
  /** Consecutive failures that make a probe fail. Default 3. */
  failureThreshold: number;
  /** Grace period for a kill this probe causes (liveness and startup only); default: the pod's. */
  terminationGracePeriodSeconds?: number;
}

/** A lifecycle hook; tinylet runs exec hooks only. */
export interface LifecycleHandler {
  exec: ExecAction;
}

/** Hooks run around a container's life. */
export interface Lifecycle {
  /** Runs right after the container starts; a failure kills the container. */
  postStart?: LifecycleHandler;
  /** Runs before the container is stopped, within its grace period. */
  preStop?: LifecycleHandler;
}

/** The probe and lifecycle fields of a Container. */
export interface ContainerProbes {
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: Lifecycle;
}

/** Kinds of probe, named as in Kubernetes' metrics and events. */
export type ProbeType = "liveness" | "readiness" | "startup";

/** Kubernetes' probe defaults, in seconds or counts. */
export const PROBE_DEFAULTS = {
  initialDelaySeconds: 0,
  periodSeconds: 10,
  timeoutSeconds: 1,
  successThreshold: 1,
  failureThreshold: 3,
} as const;
