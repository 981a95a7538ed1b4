/**
 * Label and annotation keys tinylet writes on sandboxes and containers. The runtime is tinylet's
 * only memory: everything the planner needs about an existing pod is read back from these.
 * The `io.kubernetes.*` keys are the ones kubelet writes, so crictl and other tools show them.
 */

/** Marks a sandbox or container as tinylet's; tinylet never lists, stops or removes anything without it. */
export const OWNER_LABEL = "tinylet";
export const OWNER_VALUE = "true";

/** Label selector that matches only tinylet's sandboxes and containers. */
export const OWNED_SELECTOR: Readonly<Record<string, string>> = Object.freeze({ [OWNER_LABEL]: OWNER_VALUE });

export const POD_NAME_LABEL = "io.kubernetes.pod.name";
export const POD_NAMESPACE_LABEL = "io.kubernetes.pod.namespace";
export const POD_UID_LABEL = "io.kubernetes.pod.uid";
export const CONTAINER_NAME_LABEL = "io.kubernetes.container.name";

/** Sandbox annotation: seconds between the stop signal and SIGKILL, kept so a pod whose file is gone still stops gracefully. */
export const GRACE_PERIOD_ANNOTATION = "io.kubernetes.pod.terminationGracePeriod";
/** Container annotation: the restart count of this instance, as kubelet records it. */
export const RESTART_COUNT_ANNOTATION = "io.kubernetes.container.restartCount";
/** Container annotation: the container's preStop hook as JSON, as kubelet records it, so it runs even after the manifest is gone. */
export const PRE_STOP_ANNOTATION = "io.kubernetes.container.preStopHandler";
/** Sandbox annotation: the pod's restartPolicy, so `tinylet pods` computes the same phase as the daemon without the manifest. */
export const RESTART_POLICY_ANNOTATION = "tinylet.io/restart-policy";
/** Sandbox annotation: the manifest file the pod came from, for people reading `crictl inspectp`. */
export const MANIFEST_ANNOTATION = "tinylet.io/manifest";
/** Sandbox annotation: where the pod came from, as kubelet marks static pods. */
export const CONFIG_SOURCE_ANNOTATION = "kubernetes.io/config.source";
/** Sandbox annotation: the static pod's hash, as kubelet marks static pods; tinylet writes the pod UID, as kubelet does. */
export const CONFIG_HASH_ANNOTATION = "kubernetes.io/config.hash";
/** Container annotations kubelet writes: where the termination message is read from, and how. */
export const TERMINATION_MESSAGE_PATH_ANNOTATION = "io.kubernetes.container.terminationMessagePath";
export const TERMINATION_MESSAGE_POLICY_ANNOTATION = "io.kubernetes.container.terminationMessagePolicy";
