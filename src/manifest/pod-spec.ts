/**
 * The parts of the Kubernetes Pod spec beyond names, images and commands: volumes, security
 * contexts, resources, DNS and host namespaces. Every field is optional and set only when the
 * manifest sets it, so a pod's UID (a hash that leaves out absent values) stays the same for
 * manifests that do not use them. Kubernetes' defaults are applied where a value is used; the
 * helpers at the end of this file compute them.
 */

/** When the image of a container is pulled, with Kubernetes' names. */
export type PullPolicy = "Always" | "IfNotPresent" | "Never";

/** How a container's termination message is found, with Kubernetes' names. */
export type TerminationMessagePolicy = "File" | "FallbackToLogsOnError";

/** hostPath `type`: the check made on the host path before the pod starts; "" checks nothing. */
export type HostPathType =
  | ""
  | "DirectoryOrCreate"
  | "Directory"
  | "FileOrCreate"
  | "File"
  | "Socket"
  | "CharDevice"
  | "BlockDevice";

/** A directory or file of the host mounted into containers. */
export interface HostPathVolume {
  /** Absolute path on the host. */
  path: string;
  type?: HostPathType;
}

/** A directory that lives as long as the pod, shared by its containers. */
export interface EmptyDirVolume {
  /** "Memory" backs the directory with tmpfs; absent means the node's disk. */
  medium?: "Memory";
  /** Size of a Memory volume's tmpfs, in bytes; on disk it is not enforced. */
  sizeLimitBytes?: number;
}

/** A pod volume; exactly one source is set. */
export interface Volume {
  name: string;
  hostPath?: HostPathVolume;
  emptyDir?: EmptyDirVolume;
}

/** CRI mount propagation, with Kubernetes' names. */
export type MountPropagation = "None" | "HostToContainer" | "Bidirectional";

/** A volume mounted into a container. */
export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  /** Path inside the volume to mount instead of its root; relative, without "..". */
  subPath?: string;
  mountPropagation?: MountPropagation;
}

/** A seccomp profile, with Kubernetes' names. */
export interface SeccompProfile {
  type: "RuntimeDefault" | "Unconfined" | "Localhost";
  /** For Localhost: the profile file, relative to the state directory's `seccomp` folder. */
  localhostProfile?: string;
}

/** Linux capabilities to add and drop, named without the CAP_ prefix as Kubernetes names them. */
export interface Capabilities {
  add?: string[];
  drop?: string[];
}

/** A container's securityContext. */
export interface SecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  privileged?: boolean;
  capabilities?: Capabilities;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  seccompProfile?: SeccompProfile;
}

/** A kernel parameter set in the pod's namespaces. */
export interface Sysctl {
  name: string;
  value: string;
}

/** The pod's securityContext; runAsUser, runAsGroup, runAsNonRoot and seccompProfile are container defaults. */
export interface PodSecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  fsGroup?: number;
  supplementalGroups?: number[];
  sysctls?: Sysctl[];
  seccompProfile?: SeccompProfile;
}

/** CPU in millicores and memory in bytes; resources other than these two are not kept. */
export interface ResourceAmounts {
  cpuMillis?: number;
  memoryBytes?: number;
}

/** A container's resources. A request missing where a limit is set takes the limit, as in Kubernetes. */
export interface Resources {
  requests?: ResourceAmounts;
  limits?: ResourceAmounts;
}

/** Entries added to the pod's /etc/hosts. */
export interface HostAlias {
  ip: string;
  hostnames: string[];
}

/** How a pod's resolv.conf is built, with Kubernetes' names; the default is ClusterFirst. */
export type DnsPolicy = "ClusterFirst" | "ClusterFirstWithHostNet" | "Default" | "None";

/** A resolver option such as `ndots:2`; the value is optional. */
export interface DnsOption {
  name: string;
  value?: string;
}

/** The pod's dnsConfig, merged into what dnsPolicy gives. */
export interface DnsConfig {
  nameservers?: string[];
  searches?: string[];
  options?: DnsOption[];
}

/** A container's cpu or memory request or limit exposed as a variable, in units of the divisor. */
export interface ResourceFieldRef {
  /** The container named, or the variable's own container when absent. */
  containerName?: string;
  resource: "limits.cpu" | "limits.memory" | "requests.cpu" | "requests.memory";
  /** The divisor in millicores or bytes; 1000 (one core) or 1 (one byte) when absent. */
  divisor?: number;
}

/** Container fields beyond name, image, command, args, env, workingDir and ports. */
export interface ContainerSpecFields {
  imagePullPolicy?: PullPolicy;
  volumeMounts?: VolumeMount[];
  securityContext?: SecurityContext;
  resources?: Resources;
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  terminationMessagePath?: string;
  terminationMessagePolicy?: TerminationMessagePolicy;
}

/** Pod fields beyond metadata, restartPolicy, the grace period, hostNetwork and the containers. */
export interface PodSpecFields {
  volumes?: Volume[];
  hostPID?: boolean;
  hostIPC?: boolean;
  shareProcessNamespace?: boolean;
  hostname?: string;
  subdomain?: string;
  setHostnameAsFQDN?: boolean;
  hostAliases?: HostAlias[];
  dnsPolicy?: DnsPolicy;
  dnsConfig?: DnsConfig;
  securityContext?: PodSecurityContext;
  /** Kept because system-node-critical changes the containers' OOM score, as in kubelet. */
  priorityClassName?: string;
  /** Kept for the `spec.serviceAccountName` field reference. */
  serviceAccountName?: string;
}

/** Default terminationMessagePath, as in Kubernetes. */
export const DEFAULT_TERMINATION_MESSAGE_PATH = "/dev/termination-log";

/**
 * Returns the pull policy of a container: its own, or Kubernetes' default, which is Always for an
 * image tagged `latest` or with neither tag nor digest, and IfNotPresent otherwise.
 */
export function effectivePullPolicy(container: { image: string; imagePullPolicy?: PullPolicy }): PullPolicy {
  if (container.imagePullPolicy !== undefined) return container.imagePullPolicy;
  const tag = imageTag(container.image);
  return tag === "latest" ? "Always" : "IfNotPresent";
}

/**
 * Returns the tag of an image reference: `latest` when it has neither tag nor digest (as Docker
 * reads it), "" when it has a digest but no tag.
 */
export function imageTag(image: string): string {
  const at = image.indexOf("@");
  const name = at === -1 ? image : image.slice(0, at);
  const lastSlash = name.lastIndexOf("/");
  const colon = name.indexOf(":", lastSlash + 1);
  if (colon !== -1) return name.slice(colon + 1);
  return at === -1 ? "latest" : "";
}
