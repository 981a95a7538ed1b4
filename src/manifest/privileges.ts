/**
 * What a pod may do to the host beyond an ordinary container: run privileged, share the host's
 * network, PID or IPC namespace, or mount a sensitive host path. Static pods often need these
 * (a CNI agent, kube-proxy, etcd), so tinylet runs them, and reports them once in its log and in
 * `tinylet pods -o wide`.
 */
import { posix } from "node:path";

/**
 * Host paths whose mount gives a pod control of the host or of tinylet: system configuration,
 * credentials, devices, kernel interfaces, runtime sockets and state, system binaries. A hostPath
 * is sensitive when it is one of these, lies inside one, or contains one (so `/` and `/var` are).
 */
export const SENSITIVE_HOST_PATHS: readonly string[] = [
  "/etc",
  "/root",
  "/home",
  "/boot",
  "/dev",
  "/proc",
  "/sys",
  "/run",
  "/var/run",
  "/var/lib/kubelet",
  "/var/lib/containerd",
  "/var/lib/docker",
  "/var/lib/tinylet",
  "/usr",
  "/bin",
  "/sbin",
  "/lib",
  "/lib64",
];

/** The fields privileges are read from; both the Pod model and a v1 Pod's spec have this shape. */
export interface PrivilegeFields {
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  volumes?: ReadonlyArray<{ name: string; hostPath?: { path: string } }>;
  containers?: ReadonlyArray<ContainerPrivilegeFields>;
  initContainers?: ReadonlyArray<ContainerPrivilegeFields>;
}

interface ContainerPrivilegeFields {
  name: string;
  securityContext?: { privileged?: boolean };
}

/**
 * Lists a pod's privileges as short words, in a fixed order: `privileged:CONTAINER`,
 * `hostNetwork`, `hostPID`, `hostIPC`, `hostPath:PATH`. `extraSensitivePaths` adds paths to
 * SENSITIVE_HOST_PATHS, such as the manifests directory and the CRI socket.
 */
export function podPrivileges(pod: PrivilegeFields, extraSensitivePaths: readonly string[] = []): string[] {
  const privileges: string[] = [];
  for (const container of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
    if (container.securityContext?.privileged === true) privileges.push(`privileged:${container.name}`);
  }
  if (pod.hostNetwork === true) privileges.push("hostNetwork");
  if (pod.hostPID === true) privileges.push("hostPID");
  if (pod.hostIPC === true) privileges.push("hostIPC");

  const sensitive = [...SENSITIVE_HOST_PATHS, ...extraSensitivePaths];
  for (const volume of pod.volumes ?? []) {
    const path = volume.hostPath?.path;
    if (path !== undefined && isSensitivePath(path, sensitive)) privileges.push(`hostPath:${path}`);
  }
  return privileges;
}

/** Reports whether `path` equals, lies inside, or contains one of `sensitive`. */
export function isSensitivePath(path: string, sensitive: readonly string[] = SENSITIVE_HOST_PATHS): boolean {
  const normal = normalize(path);
  return sensitive.some((entry) => {
    const candidate = normalize(entry);
    return normal === candidate || within(normal, candidate) || within(candidate, normal);
  });
}

/** Resolves `.`, `..` and repeated slashes, and removes a trailing slash. */
function normalize(path: string): string {
  const normal = posix.normalize(posix.join("/", path));
  return normal.length > 1 && normal.endsWith("/") ? normal.slice(0, -1) : normal;
}

function within(path: string, parent: string): boolean {
  return parent === "/" ? path !== "/" : path.startsWith(parent + "/");
}
