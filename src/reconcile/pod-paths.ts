/**
 * Where a pod's state lives under the state directory, and the host name its sandbox gets. The
 * layout, beside kubelet's /var/lib/kubelet/pods/UID:
 *
 *     STATE_DIR/pods/UID/volumes/NAME            emptyDir volumes
 *     STATE_DIR/pods/UID/etc-hosts               the pod's /etc/hosts
 *     STATE_DIR/pods/UID/containers/NAME/ATTEMPT each container instance's termination message
 *     STATE_DIR/seccomp/                         root of Localhost seccomp profiles
 */
import path from "node:path";

import type { Pod } from "../manifest/index.js";

/** Cluster domain used for a pod's `subdomain`; kubeadm clusters use the same. */
export const CLUSTER_DOMAIN = "cluster.local";

/** Maximum length of a host name in the kernel. */
const MAX_HOSTNAME_LENGTH = 63;

/** Returns the directory of a pod's state. */
export function podStateDirectory(stateDir: string, podUID: string): string {
  return path.join(stateDir, "pods", podUID);
}

/** Returns the directory of an emptyDir volume. */
export function emptyDirPath(stateDir: string, podUID: string, volume: string): string {
  return path.join(podStateDirectory(stateDir, podUID), "volumes", volume);
}

/** Returns the pod's /etc/hosts file on the host. */
export function hostsFilePath(stateDir: string, podUID: string): string {
  return path.join(podStateDirectory(stateDir, podUID), "etc-hosts");
}

/** Returns the file mounted at a container instance's terminationMessagePath. */
export function terminationMessageFile(stateDir: string, podUID: string, container: string, attempt: number): string {
  return path.join(podStateDirectory(stateDir, podUID), "containers", container, String(attempt));
}

/** Returns the root of Localhost seccomp profiles. */
export function seccompRoot(stateDir: string): string {
  return path.join(stateDir, "seccomp");
}

/**
 * Returns the pod's host name and domain as kubelet makes them: `spec.hostname` or the pod name,
 * cut to 63 characters without a trailing '-' or '.', and `SUBDOMAIN.NAMESPACE.svc.cluster.local`
 * when `spec.subdomain` is set.
 */
export function podHostnameAndDomain(pod: Pick<Pod, "name" | "namespace" | "hostname" | "subdomain">): { hostname: string; domain: string } {
  let hostname = pod.hostname || pod.name;
  if (hostname.length > MAX_HOSTNAME_LENGTH) hostname = hostname.slice(0, MAX_HOSTNAME_LENGTH).replace(/[-.]+$/, "");
  const domain = pod.subdomain ? `${pod.subdomain}.${pod.namespace}.svc.${CLUSTER_DOMAIN}` : "";
  return { hostname, domain };
}

/** Returns the host name the sandbox's UTS namespace gets: the FQDN with setHostnameAsFQDN and a subdomain. */
export function sandboxHostname(pod: Pick<Pod, "name" | "namespace" | "hostname" | "subdomain" | "setHostnameAsFQDN">): string {
  const { hostname, domain } = podHostnameAndDomain(pod);
  // NOTE: kubelet refuses to create a sandbox whose FQDN exceeds 64 characters; here runc rejects it instead.
  return pod.setHostnameAsFQDN && domain ? `${hostname}.${domain}` : hostname;
}
