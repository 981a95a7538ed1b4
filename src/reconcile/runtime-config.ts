import path from "node:path";

import type { MessageInitShape } from "@bufbuild/protobuf";

import type { ContainerConfigSchema, PodSandboxConfigSchema } from "../cri/index.js";
import { NamespaceMode, Protocol } from "../cri/index.js";
import type { Container, Pod, PortProtocol } from "../manifest/index.js";
import {
  CONFIG_SOURCE_ANNOTATION,
  CONTAINER_NAME_LABEL,
  GRACE_PERIOD_ANNOTATION,
  MANIFEST_ANNOTATION,
  OWNER_LABEL,
  OWNER_VALUE,
  POD_NAME_LABEL,
  POD_NAMESPACE_LABEL,
  POD_UID_LABEL,
  RESTART_COUNT_ANNOTATION,
} from "./labels.js";

export type SandboxConfig = MessageInitShape<typeof PodSandboxConfigSchema>;
export type ContainerConfig = MessageInitShape<typeof ContainerConfigSchema>;

/** Default root of pod log directories, as kubelet lays them out. */
export const DEFAULT_POD_LOG_ROOT = "/var/log/pods";

/** Longest host name the kernel accepts. */
const MAX_HOSTNAME_LENGTH = 63;

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
export function sandboxConfig(pod: Pod, attempt: number, podLogRoot: string): SandboxConfig {
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
    hostname: pod.hostNetwork ? "" : pod.name.slice(0, MAX_HOSTNAME_LENGTH).replace(/[.-]+$/, ""),
    logDirectory: podLogDirectory(podLogRoot, pod),
    portMappings,
    labels: {
      ...pod.labels,
      [OWNER_LABEL]: OWNER_VALUE,
      [POD_NAME_LABEL]: pod.name,
      [POD_NAMESPACE_LABEL]: pod.namespace,
      [POD_UID_LABEL]: pod.uid,
    },
    annotations: {
      ...pod.annotations,
      [GRACE_PERIOD_ANNOTATION]: String(pod.terminationGracePeriodSeconds),
      [MANIFEST_ANNOTATION]: pod.source.file,
      [CONFIG_SOURCE_ANNOTATION]: "file",
    },
    linux: {
      securityContext: {
        namespaceOptions: {
          network: pod.hostNetwork ? NamespaceMode.NODE : NamespaceMode.POD,
          pid: NamespaceMode.CONTAINER,
          ipc: NamespaceMode.POD,
        },
      },
    },
  };
}

/** Builds the CreateContainer config of one instance (attempt) of a container of a pod. */
export function containerConfig(pod: Pod, container: Container, attempt: number): ContainerConfig {
  return {
    metadata: { name: container.name, attempt },
    image: { image: container.image, userSpecifiedImage: container.image },
    command: container.command,
    args: container.args,
    workingDir: container.workingDir ?? "",
    envs: container.env.map((variable) => ({ key: variable.name, value: variable.value })),
    labels: {
      [OWNER_LABEL]: OWNER_VALUE,
      [POD_NAME_LABEL]: pod.name,
      [POD_NAMESPACE_LABEL]: pod.namespace,
      [POD_UID_LABEL]: pod.uid,
      [CONTAINER_NAME_LABEL]: container.name,
    },
    annotations: {
      [RESTART_COUNT_ANNOTATION]: String(attempt),
    },
    logPath: containerLogPath(container.name, attempt),
    linux: {
      securityContext: {
        namespaceOptions: {
          network: pod.hostNetwork ? NamespaceMode.NODE : NamespaceMode.POD,
          pid: NamespaceMode.CONTAINER,
          ipc: NamespaceMode.POD,
        },
      },
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
