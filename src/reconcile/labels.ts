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
/** Sandbox annotation: the manifest file the pod came from, for people reading `crictl inspectp`. */
export const MANIFEST_ANNOTATION = "tinylet.io/manifest";
/** Sandbox annotation: where the pod came from, as kubelet marks static pods. */
export const CONFIG_SOURCE_ANNOTATION = "kubernetes.io/config.source";
