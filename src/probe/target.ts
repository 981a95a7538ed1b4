/** What a probe or hook runs against: one container instance and the address of its pod. */
import type { ContainerPort } from "../manifest/index.js";

/** One running container instance to probe. */
export interface ProbeTarget {
  containerId: string;
  /** Address network probes connect to when the probe names no `host`: the pod IP, or loopback with hostNetwork. */
  podIP: string | undefined;
  /** The container's ports, for probes that name a port. */
  ports: readonly ContainerPort[];
}

/** Returns the port number a probe names: the number itself, or the containerPort of the named port. */
export function resolvePort(port: number | string, ports: readonly ContainerPort[]): number | undefined {
  if (typeof port === "number") {
    return port;
  }
  return ports.find((candidate) => candidate.name === port)?.containerPort;
}
