/**
 * Manifests: reading Pod manifest files and the manifests directory into the internal Pod model.
 * This is the only module other parts of tinylet import from `manifest/`.
 */
export {
  DEFAULT_NAMESPACE,
  DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS,
  podKey,
  type Container,
  type ContainerPort,
  type EnvVar,
  type Pod,
  type PodContent,
  type PodSource,
  type PortProtocol,
  type RestartPolicy,
} from "./pod.js";
export {
  PROBE_DEFAULTS,
  type ContainerProbes,
  type ExecAction,
  type GRPCAction,
  type HTTPGetAction,
  type HTTPHeader,
  type Lifecycle,
  type LifecycleHandler,
  type Probe,
  type ProbeType,
  type TCPSocketAction,
} from "./probe.js";
export {
  DEFAULT_TERMINATION_MESSAGE_PATH,
  effectivePullPolicy,
  imageTag,
  type Capabilities,
  type ContainerSpecFields,
  type DnsConfig,
  type DnsOption,
  type DnsPolicy,
  type EmptyDirVolume,
  type HostAlias,
  type HostPathType,
  type HostPathVolume,
  type MountPropagation,
  type PodSecurityContext,
  type PodSpecFields,
  type PullPolicy,
  type ResourceAmounts,
  type ResourceFieldRef,
  type Resources,
  type SeccompProfile,
  type SecurityContext,
  type Sysctl,
  type TerminationMessagePolicy,
  type Volume,
  type VolumeMount,
} from "./pod-spec.js";
export { subscriptedFieldPath } from "./env-source.js";
export { formatBytes, formatMillis } from "./quantity.js";
export { ManifestError, ManifestWarning, type ManifestLocation, type ManifestProblem } from "./errors.js";
export { MAX_ALIAS_COUNT, MAX_CONTAINERS, MAX_DOCUMENTS, MAX_FILE_BYTES } from "./limits.js";
export { parseManifest, parseManifestBytes, type ParseOptions, type ParseResult } from "./parse.js";
export { canonicalJson, podUID } from "./identity.js";
export { isManifestFileName, MANIFEST_EXTENSIONS } from "./file-names.js";
export {
  ManifestDirectory,
  type DirectoryScan,
  type ManifestDirectoryOptions,
  type ScanStatistics,
} from "./directory.js";
export { DEFAULT_WATCH_DEBOUNCE_MS, watchDirectory, type DirectoryWatcher, type WatchOptions } from "./watch.js";
export { validateFiles, type FileValidation } from "./validate-files.js";
