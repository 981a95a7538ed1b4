/**
 * A container's environment and command line as kubelet builds them: variables in declaration
 * order, field references resolved from the pod and the node, `$(NAME)` references in values
 * expanded with the variables declared before them, and command and args expanded with all of them.
 */
import type { Container, Pod, ResourceFieldRef } from "../manifest/index.js";
import { subscriptedFieldPath } from "../manifest/index.js";
import { expandReferences } from "./expansion.js";
import type { NodeSettings } from "./node.js";

/** What a container's environment depends on besides its pod: the node, and the pod's IPs once known. */
export interface EnvironmentFacts {
  node: NodeSettings;
  /** The sandbox's IPs, primary first; for hostNetwork pods, the node's. */
  podIPs: readonly string[];
  /** The pod's annotations as the sandbox carries them, for `metadata.annotations['KEY']`. */
  annotations: Readonly<Record<string, string>>;
}

/** One resolved variable. */
export interface ResolvedVariable {
  key: string;
  value: string;
}

/**
 * Resolves a container's env. A name declared twice keeps its first position and its last value,
 * as kubelet's map of variables does.
 */
export function resolveEnvironment(pod: Pod, container: Container, facts: EnvironmentFacts): ResolvedVariable[] {
  const values = new Map<string, string>();
  for (const variable of container.env) {
    let value: string;
    if (variable.fieldPath !== undefined) value = fieldValue(pod, variable.fieldPath, facts);
    else if (variable.resourceFieldRef !== undefined) value = resourceValue(pod, container, variable.resourceFieldRef, facts.node);
    else value = expandReferences(variable.value, (name) => values.get(name));
    values.set(variable.name, value);
  }
  return [...values].map(([key, value]) => ({ key, value }));
}

/** Expands `$(NAME)` references in command and args with the container's resolved variables. */
export function expandCommandLine(
  container: Pick<Container, "command" | "args">,
  environment: readonly ResolvedVariable[],
): { command: string[]; args: string[] } {
  const values = new Map(environment.map((variable) => [variable.key, variable.value]));
  const lookup = (name: string): string | undefined => values.get(name);
  return {
    command: container.command.map((part) => expandReferences(part, lookup)),
    args: container.args.map((part) => expandReferences(part, lookup)),
  };
}

/**
 * Returns the value of a `valueFrom.resourceFieldRef`: the request or limit in units of the
 * divisor, rounded up. An unset limit is the node's capacity and an unset request 0, as kubelet
 * reports them. Throws when the named container is not in the pod, as kubelet fails then.
 */
export function resourceValue(pod: Pod, container: Container, ref: ResourceFieldRef, node: NodeSettings): string {
  const target = ref.containerName ? [...pod.containers, ...pod.initContainers].find((candidate) => candidate.name === ref.containerName) : container;
  if (target === undefined) throw new Error(`resourceFieldRef names container ${ref.containerName ?? ""}, which is not in the pod`);

  const cpu = ref.resource.endsWith(".cpu");
  const limit = ref.resource.startsWith("limits.");
  const amounts = limit ? target.resources?.limits : target.resources?.requests;
  let amount = cpu ? amounts?.cpuMillis : amounts?.memoryBytes;
  if (amount === undefined) amount = limit ? (cpu ? node.cpuCapacityMillis : node.memoryCapacityBytes) : 0;
  return String(Math.ceil(amount / (ref.divisor ?? (cpu ? 1000 : 1))));
}

/** Returns the value of a `valueFrom.fieldRef` field path; the manifest reader accepts only these paths. */
export function fieldValue(pod: Pod, fieldPath: string, facts: EnvironmentFacts): string {
  switch (fieldPath) {
    case "metadata.name":
      return pod.name;
    case "metadata.namespace":
      return pod.namespace;
    case "metadata.uid":
      return pod.uid;
    case "spec.nodeName":
      return facts.node.nodeName;
    case "spec.serviceAccountName":
      return pod.serviceAccountName ?? "";
    case "status.hostIP":
      return facts.node.nodeIPs[0] ?? "";
    case "status.hostIPs":
      return facts.node.nodeIPs.join(",");
    case "status.podIP":
      return facts.podIPs[0] ?? "";
    case "status.podIPs":
      return facts.podIPs.join(",");
  }
  const subscripted = subscriptedFieldPath(fieldPath);
  if (subscripted === undefined) return "";
  const map = subscripted.map === "labels" ? pod.labels : facts.annotations;
  return map[subscripted.key] ?? "";
}
