/**
 * Namespaces and security contexts as kubelet sends them: the sandbox's (host namespaces, the pod's
 * user and groups, sysctls, privileged when any container is) and each container's (its own
 * context over the pod's defaults, the image's user when none is set, no_new_privs, masked paths).
 */
import type { MessageInitShape } from "@bufbuild/protobuf";

import {
  NamespaceMode,
  SecurityProfile_ProfileType,
  type LinuxContainerSecurityContextSchema,
  type LinuxSandboxSecurityContextSchema,
  type NamespaceOptionSchema,
  type SecurityProfileSchema,
} from "../cri/index.js";
import type { Container, Pod, SeccompProfile } from "../manifest/index.js";
import path from "node:path";

type NamespaceOption = MessageInitShape<typeof NamespaceOptionSchema>;
type SandboxSecurityContext = MessageInitShape<typeof LinuxSandboxSecurityContextSchema>;
type ContainerSecurityContext = MessageInitShape<typeof LinuxContainerSecurityContextSchema>;
type SecurityProfile = MessageInitShape<typeof SecurityProfileSchema>;

/** Paths of /proc and /sys kubelet hides from containers (Kubernetes 1.32, procMount Default). */
export const MASKED_PATHS: readonly string[] = [
  "/proc/asound",
  "/proc/acpi",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
  "/sys/devices/virtual/powercap",
];

/** Paths of /proc kubelet makes read-only in containers (procMount Default). */
export const READONLY_PATHS: readonly string[] = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

/** The user an image runs as, from ImageStatus: a numeric uid, or a user name to resolve in the image. */
export interface ImageUser {
  uid?: bigint;
  username?: string;
}

/** Returns the pod's namespace modes: the node's when hostNetwork, hostPID or hostIPC ask for them. */
export function namespaceOptions(pod: Pod): NamespaceOption {
  let pid = NamespaceMode.CONTAINER;
  if (pod.hostPID) pid = NamespaceMode.NODE;
  else if (pod.shareProcessNamespace) pid = NamespaceMode.POD;
  return {
    network: pod.hostNetwork ? NamespaceMode.NODE : NamespaceMode.POD,
    pid,
    ipc: pod.hostIPC ? NamespaceMode.NODE : NamespaceMode.POD,
  };
}

/** Reports whether any container or init container of the pod is privileged, which the sandbox must then be too. */
export function hasPrivilegedContainer(pod: Pod): boolean {
  return [...pod.containers, ...pod.initContainers].some((container) => container.securityContext?.privileged === true);
}

/** Returns the pod's supplemental groups as kubelet passes them: fsGroup first, then supplementalGroups. */
export function supplementalGroups(pod: Pod): bigint[] {
  const context = pod.securityContext;
  const groups: number[] = [];
  if (context?.fsGroup !== undefined) groups.push(context.fsGroup);
  groups.push(...(context?.supplementalGroups ?? []));
  return groups.map(BigInt);
}

/** Builds the sandbox's security context; its seccomp profile is always RuntimeDefault, as kubelet sets it. */
export function sandboxSecurityContext(pod: Pod): SandboxSecurityContext {
  const context: SandboxSecurityContext = {
    namespaceOptions: namespaceOptions(pod),
    privileged: hasPrivilegedContainer(pod),
    seccomp: { profileType: SecurityProfile_ProfileType.RuntimeDefault },
    supplementalGroups: supplementalGroups(pod),
  };
  const podContext = pod.securityContext;
  if (podContext?.runAsUser !== undefined) context.runAsUser = { value: BigInt(podContext.runAsUser) };
  if (podContext?.runAsGroup !== undefined) context.runAsGroup = { value: BigInt(podContext.runAsGroup) };
  return context;
}

/**
 * Returns the user a container runs as: its runAsUser, else the pod's, else the image's uid (root
 * for an image that names no user), or the image's user name when it names one.
 */
export function effectiveUser(pod: Pod, container: Container, image: ImageUser): ImageUser {
  const runAsUser = container.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
  if (runAsUser !== undefined) return { uid: BigInt(runAsUser) };
  if (image.uid !== undefined) return { uid: image.uid };
  if (image.username) return { username: image.username };
  return { uid: 0n };
}

/**
 * Checks runAsNonRoot as kubelet does before creating a container; returns the reason it fails, or
 * undefined. A user name cannot be checked, so it fails too.
 */
export function checkRunAsNonRoot(pod: Pod, container: Container, image: ImageUser): string | undefined {
  const runAsNonRoot = container.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
  if (runAsNonRoot !== true) return undefined;
  const runAsUser = container.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
  if (runAsUser !== undefined) return runAsUser === 0 ? "container's runAsUser breaks non-root policy" : undefined;

  const user = effectiveUser(pod, container, image);
  if (user.uid === 0n) return "container has runAsNonRoot and image will run as root";
  if (user.uid === undefined) return `container has runAsNonRoot and image has non-numeric user (${user.username ?? ""}), cannot verify user is non-root`;
  return undefined;
}

/** Builds a container's security context; `image` is the user from ImageStatus. */
export function containerSecurityContext(pod: Pod, container: Container, image: ImageUser, seccompRoot: string): ContainerSecurityContext {
  const own = container.securityContext ?? {};
  const podContext = pod.securityContext ?? {};
  const user = effectiveUser(pod, container, image);
  const context: ContainerSecurityContext = {
    privileged: own.privileged ?? false,
    namespaceOptions: namespaceOptions(pod),
    readonlyRootfs: own.readOnlyRootFilesystem ?? false,
    supplementalGroups: supplementalGroups(pod),
    noNewPrivs: own.allowPrivilegeEscalation === false,
    maskedPaths: [...MASKED_PATHS],
    readonlyPaths: [...READONLY_PATHS],
    seccomp: seccompProfile(own.seccompProfile ?? podContext.seccompProfile, seccompRoot),
  };
  if (user.uid !== undefined) context.runAsUser = { value: user.uid };
  else context.runAsUsername = user.username ?? "";

  const runAsGroup = own.runAsGroup ?? podContext.runAsGroup;
  if (runAsGroup !== undefined) context.runAsGroup = { value: BigInt(runAsGroup) };
  if (own.capabilities !== undefined) {
    context.capabilities = { addCapabilities: own.capabilities.add ?? [], dropCapabilities: own.capabilities.drop ?? [] };
  }
  return context;
}

/**
 * Maps a seccompProfile to the CRI's. Without one a container is Unconfined, kubelet's default
 * while its SeccompDefault setting is off; Localhost profiles are files under `seccompRoot`.
 */
export function seccompProfile(profile: SeccompProfile | undefined, seccompRoot: string): SecurityProfile {
  switch (profile?.type) {
    case "RuntimeDefault":
      return { profileType: SecurityProfile_ProfileType.RuntimeDefault };
    case "Localhost":
      return { profileType: SecurityProfile_ProfileType.Localhost, localhostRef: path.join(seccompRoot, profile.localhostProfile ?? "") };
    default:
      return { profileType: SecurityProfile_ProfileType.Unconfined };
  }
}
