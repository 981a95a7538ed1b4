/** Builds the probe manager's input from a pass: the running instances of desired pods. */
import { podKey, type Pod } from "../manifest/index.js";
import type { ObservedState } from "../reconcile/observed.js";
import type { DetailsView } from "../status/details.js";
import type { ProbedContainer } from "./manager.js";

/**
 * Address network probes of hostNetwork pods connect to. Kubelet connects to the node's IP; a
 * server listening on the host's wildcard address responds on loopback too.
 */
export const HOST_NETWORK_PROBE_HOST = "127.0.0.1";

/**
 * Returns one entry per running instance of a container of a desired pod, in that pod's sandboxes
 * of the current version. An instance whose start time is not known yet counts from its creation.
 */
export function runningContainers(desired: readonly Pod[], observed: ObservedState, details: DetailsView): ProbedContainer[] {
  const sandboxes = new Map(observed.sandboxes.filter((s) => s.ready).map((s) => [s.id, s]));
  const byKey = new Map(desired.map((pod) => [podKey(pod), pod]));
  const result: ProbedContainer[] = [];

  for (const instance of observed.containers) {
    if (instance.state !== "running") continue;
    const sandbox = sandboxes.get(instance.sandboxId);
    const pod = sandbox === undefined ? undefined : byKey.get(podKey(sandbox));
    if (sandbox === undefined || pod === undefined || pod.uid !== sandbox.uid) continue;
    const container = pod.containers.find((c) => c.name === instance.name);
    if (container === undefined) continue;

    const podIP = pod.hostNetwork ? HOST_NETWORK_PROBE_HOST : details.sandbox(sandbox.id)?.ips[0];
    result.push({
      pod: { namespace: pod.namespace, name: pod.name, uid: pod.uid },
      container,
      target: { containerId: instance.id, podIP, ports: container.ports },
      startedAtMs: details.container(instance.id)?.startedAtMs || instance.createdAtMs,
    });
  }
  return result;
}
