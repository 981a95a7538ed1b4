/**
 * A container's CRI mounts, in kubelet's order: its volumeMounts, then the pod's /etc/hosts
 * (unless the container mounts something there itself), then the file behind its termination
 * message path.
 */
import path from "node:path";

import type { MessageInitShape } from "@bufbuild/protobuf";

import { MountPropagation, type MountSchema } from "../cri/index.js";
import { DEFAULT_TERMINATION_MESSAGE_PATH, type Container, type Pod, type VolumeMount } from "../manifest/index.js";
import { emptyDirPath, hostsFilePath, terminationMessageFile } from "./pod-paths.js";

type Mount = MessageInitShape<typeof MountSchema>;

/** Mount point of the pod's hosts file in each container. */
export const ETC_HOSTS = "/etc/hosts";

/**
 * Builds a container instance's mounts. `mountHostsFile` is false while the pod's IP is unknown,
 * as kubelet leaves /etc/hosts to the runtime then.
 */
export function containerMounts(pod: Pod, container: Container, attempt: number, stateDir: string, mountHostsFile: boolean): Mount[] {
  const mounts: Mount[] = [];
  for (const mount of container.volumeMounts ?? []) {
    const hostPath = volumeHostPath(pod, mount, stateDir);
    if (hostPath === undefined) continue;
    mounts.push({
      containerPath: mount.mountPath,
      hostPath,
      readonly: mount.readOnly ?? false,
      propagation: propagationOf(mount),
    });
  }

  const mountsHosts = (container.volumeMounts ?? []).some((mount) => mount.mountPath === ETC_HOSTS);
  if (mountHostsFile && !mountsHosts) {
    mounts.push({ containerPath: ETC_HOSTS, hostPath: hostsFilePath(stateDir, pod.uid), readonly: false });
  }

  const messagePath = container.terminationMessagePath ?? DEFAULT_TERMINATION_MESSAGE_PATH;
  mounts.push({ containerPath: messagePath, hostPath: terminationMessageFile(stateDir, pod.uid, container.name, attempt), readonly: false });
  return mounts;
}

/** Returns the host path a volume mount binds, subPath included; undefined when the volume is missing. */
export function volumeHostPath(pod: Pod, mount: VolumeMount, stateDir: string): string | undefined {
  const volume = pod.volumes?.find((candidate) => candidate.name === mount.name);
  if (volume === undefined) return undefined;
  const root = volume.hostPath !== undefined ? volume.hostPath.path : emptyDirPath(stateDir, pod.uid, volume.name);
  return mount.subPath ? path.join(root, mount.subPath) : root;
}

function propagationOf(mount: VolumeMount): MountPropagation {
  switch (mount.mountPropagation) {
    case "HostToContainer":
      return MountPropagation.PROPAGATION_HOST_TO_CONTAINER;
    case "Bidirectional":
      return MountPropagation.PROPAGATION_BIDIRECTIONAL;
    default:
      return MountPropagation.PROPAGATION_PRIVATE;
  }
}
