import path from "node:path";

import type { MessageInitShape } from "@bufbuild/protobuf";

import type { ContainerConfigSchema, PodSandboxConfigSchema } from "../cri/index.js";
import { Protocol } from "../cri/index.js";
import { DEFAULT_TERMINATION_MESSAGE_PATH, type Container, type Pod, type PortProtocol } from "../manifest/index.js";
import { expandCommandLine, resolveEnvironment } from "./container-env.js";
import { podDnsConfig } from "./dns.js";
import {
  CONFIG_HASH_ANNOTATION,
  CONFIG_SOURCE_ANNOTATION,
  CONTAINER_NAME_LABEL,
  GRACE_PERIOD_ANNOTATION,
  MANIFEST_ANNOTATION,
  OWNER_LABEL,
  OWNER_VALUE,
  POD_NAME_LABEL,
  POD_NAMESPACE_LABEL,
  POD_UID_LABEL,
  PRE_STOP_ANNOTATION,
  RESTART_COUNT_ANNOTATION,
  RESTART_POLICY_ANNOTATION,
  TERMINATION_MESSAGE_PATH_ANNOTATION,
  TERMINATION_MESSAGE_POLICY_ANNOTATION,
} from "./labels.js";
import { encodePreStop } from "./hooks.js";
import { containerMounts } from "./mounts.js";
import { fallbackNodeSettings, type NodeSettings } from "./node.js";
import { sandboxHostname, seccompRoot } from "./pod-paths.js";
import { cgroupParent, linuxResources } from "./resources.js";
import { containerSecurityContext, sandboxSecurityContext, type ImageUser } from "./security.js";

export type SandboxConfig = MessageInitShape<typeof PodSandboxConfigSchema>;
export type ContainerConfig = MessageInitShape<typeof ContainerConfigSchema>;

/** Default root of pod log directories, as kubelet lays them out. */
export const DEFAULT_POD_LOG_ROOT = "/var/log/pods";

/** Returns the directory that holds a pod's container logs: `ROOT/NAMESPACE_NAME_UID`. */
export function podLogDirectory(podLogRoot: string, pod: { namespace: string; name: string; uid: string }): string {
  return path.join(podLogRoot, `${pod.namespace}_${pod.name}_${pod.uid}`);
}

/** Returns a container instance's log path relative to its pod's log directory: `NAME/ATTEMPT.log`. */
export function containerLogPath(containerName: string, attempt: number): string {
  return path.join(containerName, `${attempt}.log`);
}

/**
 * Builds the RunPodSandbox config of a pod. The same pod always gives the same config, because
 * CreateContainer sends it again and runtimes may compare the two.
 */
export function sandboxConfig(pod: Pod, attempt: number, podLogRoot: string, node: NodeSettings = fallbackNodeSettings()): SandboxConfig {
  const portMappings = pod.containers.flatMap((container) =>
    container.ports
      .filter((port) => (port.hostPort ?? 0) > 0)
      .map((port) => ({
        protocol: protocolOf(port.protocol),
        containerPort: port.containerPort,
        hostPort: port.hostPort ?? 0,
        hostIp: port.hostIP ?? "",
      })),
  );

  return {
    metadata: { name: pod.name, namespace: pod.namespace, uid: pod.uid, attempt },
    hostname: pod.hostNetwork ? "" : sandboxHostname(pod),
    logDirectory: podLogDirectory(podLogRoot, pod),
    dnsConfig: podDnsConfig(pod, node.hostDns),
    portMappings,
    labels: {
      ...pod.labels,
      [OWNER_LABEL]: OWNER_VALUE,
      [POD_NAME_LABEL]: pod.name,
      [POD_NAMESPACE_LABEL]: pod.namespace,
      [POD_UID_LABEL]: pod.uid,
    },
    annotations: sandboxAnnotations(pod),
    linux: {
      cgroupParent: cgroupParent(pod, node.cgroupDriver),
      securityContext: sandboxSecurityContext(pod),
      sysctls: Object.fromEntries((pod.securityContext?.sysctls ?? []).map((sysctl) => [sysctl.name, sysctl.value])),
    },
  };
}

/**
 * Returns the sandbox's annotations: the pod's, plus the grace period and manifest tinylet reads
 * back, and the `kubernetes.io/config.*` pair kubelet puts on static pods (the hash is the UID).
 */
export function sandboxAnnotations(pod: Pod): Record<string, string> {
  return {
    ...pod.annotations,
    [GRACE_PERIOD_ANNOTATION]: String(pod.terminationGracePeriodSeconds),
    [RESTART_POLICY_ANNOTATION]: pod.restartPolicy,
    [MANIFEST_ANNOTATION]: pod.source.file,
    [CONFIG_SOURCE_ANNOTATION]: "file",
    [CONFIG_HASH_ANNOTATION]: pod.uid,
  };
}

/** What a container's config depends on besides its pod: the node, the sandbox's IPs and the image's user. */
export interface ContainerContext {
  node: NodeSettings;
  /** The sandbox's IPs from PodSandboxStatus, primary first; empty while unknown. Ignored for hostNetwork pods. */
  podIPs: readonly string[];
  /** The image's user from ImageStatus; an empty object is root. */
  image: ImageUser;
}

/** Returns the IPs a pod's containers see as theirs: the sandbox's, or the node's with hostNetwork, as in kubelet. */
export function effectivePodIPs(pod: Pod, context: Pick<ContainerContext, "node" | "podIPs">): readonly string[] {
  return pod.hostNetwork ? context.node.nodeIPs : context.podIPs;
}

/** Builds the CreateContainer config of one instance (attempt) of a container of a pod. */
export function containerConfig(
  pod: Pod,
  container: Container,
  attempt: number,
  context: ContainerContext = { node: fallbackNodeSettings(), podIPs: [], image: {} },
): ContainerConfig {
  const podIPs = effectivePodIPs(pod, context);
  const environment = resolveEnvironment(pod, container, { node: context.node, podIPs, annotations: sandboxAnnotations(pod) });
  const { command, args } = expandCommandLine(container, environment);

  return {
    metadata: { name: container.name, attempt },
    image: { image: container.image, userSpecifiedImage: container.image },
    command,
    args,
    workingDir: container.workingDir ?? "",
    envs: environment,
    mounts: containerMounts(pod, container, attempt, context.node.stateDir, podIPs.length > 0),
    labels: {
      [OWNER_LABEL]: OWNER_VALUE,
      [POD_NAME_LABEL]: pod.name,
      [POD_NAMESPACE_LABEL]: pod.namespace,
      [POD_UID_LABEL]: pod.uid,
      [CONTAINER_NAME_LABEL]: container.name,
    },
    annotations: {
      [RESTART_COUNT_ANNOTATION]: String(attempt),
      [TERMINATION_MESSAGE_PATH_ANNOTATION]: container.terminationMessagePath ?? DEFAULT_TERMINATION_MESSAGE_PATH,
      [TERMINATION_MESSAGE_POLICY_ANNOTATION]: container.terminationMessagePolicy ?? "File",
      ...(container.lifecycle?.preStop === undefined ? {} : { [PRE_STOP_ANNOTATION]: encodePreStop(container.lifecycle.preStop) }),
    },
    logPath: containerLogPath(container.name, attempt),
    stdin: container.stdin ?? false,
    stdinOnce: container.stdinOnce ?? false,
    tty: container.tty ?? false,
    linux: {
      resources: linuxResources(pod, container, context.node.memoryCapacityBytes),
      securityContext: containerSecurityContext(pod, container, context.image, seccompRoot(context.node.stateDir)),
    },
  };
}

function protocolOf(protocol: PortProtocol): Protocol {
  switch (protocol) {
    case "UDP":
      return Protocol.UDP;
    case "SCTP":
      return Protocol.SCTP;
    default:
      return Protocol.TCP;
  }
}
