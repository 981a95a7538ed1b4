/**
 * A pod's volumes on the host, prepared before its sandbox and containers start and removed with
 * the pod: emptyDir directories (tmpfs for medium Memory), hostPath type checks and creation, and
 * subPath directories. Everything here is safe to repeat.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { chmod, chown, lstat, mkdir, open, realpath, rm, rmdir, stat } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

import type { Pod, Volume } from "../manifest/index.js";
import { volumeHostPath } from "./mounts.js";
import { emptyDirPath, podStateDirectory } from "./pod-paths.js";

const run = promisify(execFile);

/** A volume that cannot be prepared; its message names the volume and the reason, for the start failure log. */
export class VolumeError extends Error {
  override readonly name = "VolumeError";
}

/** Mode of an emptyDir directory, so containers running as any user can write, as kubelet makes it. */
const EMPTY_DIR_MODE = 0o777;
/** Mode of directories and files a hostPath type of DirectoryOrCreate or FileOrCreate creates. */
const CREATED_DIRECTORY_MODE = 0o755;
const CREATED_FILE_MODE = 0o644;

/** The cgroup v1 hierarchies, each holding a `kubepods` tree when the cgroupfs driver is used. */
const CGROUP_ROOT = "/sys/fs/cgroup";

/**
 * Prepares every volume of the pod: creates emptyDir directories (and mounts tmpfs on Memory ones),
 * checks or creates hostPaths by their type, and creates missing subPath directories. Throws a
 * VolumeError naming the volume when a check fails.
 */
export async function preparePodVolumes(pod: Pod, stateDir: string): Promise<void> {
  const directory = podStateDirectory(stateDir, pod.uid);
  // Each container start repeats this, and a check on this thread is cheaper than mkdir.
  if (!existsSync(directory)) await mkdir(directory, { recursive: true, mode: 0o750 });
  for (const volume of pod.volumes ?? []) {
    if (volume.emptyDir !== undefined) await prepareEmptyDir(pod, volume, stateDir);
    else if (volume.hostPath !== undefined) await checkHostPath(volume);
  }
  for (const container of [...pod.initContainers, ...pod.containers]) {
    for (const mount of container.volumeMounts ?? []) {
      if (mount.subPath) await prepareSubPath(pod, mount.name, mount.subPath, stateDir);
    }
  }
}

async function prepareEmptyDir(pod: Pod, volume: Volume, stateDir: string): Promise<void> {
  const directory = emptyDirPath(stateDir, pod.uid, volume.name);
  await mkdir(directory, { recursive: true });

  if (volume.emptyDir?.medium === "Memory" && !mountPoints().includes(directory)) {
    const options = volume.emptyDir.sizeLimitBytes ? [`size=${volume.emptyDir.sizeLimitBytes}`] : [];
    try {
      await run("mount", ["-t", "tmpfs", ...(options.length > 0 ? ["-o", options.join(",")] : []), "tmpfs", directory]);
    } catch (error) {
      throw new VolumeError(`failed to mount tmpfs for emptyDir volume ${volume.name} at ${directory}: ${describe(error)}`, { cause: error });
    }
  }

  // chmod after mkdir, because mkdir's mode is reduced by the umask.
  const fsGroup = pod.securityContext?.fsGroup;
  if (fsGroup === undefined) {
    await chmod(directory, EMPTY_DIR_MODE);
  } else {
    // As kubelet does for fsGroup: the group owns the volume, and new files inherit it (setgid).
    await chown(directory, -1, fsGroup);
    await chmod(directory, EMPTY_DIR_MODE | 0o2000);
  }
}

/** Checks a hostPath against its type, creating it for DirectoryOrCreate and FileOrCreate, as kubelet does. */
export async function checkHostPath(volume: Volume): Promise<void> {
  const hostPath = volume.hostPath;
  if (hostPath === undefined || !hostPath.type) return;
  const file = hostPath.path;
  let info = await stat(file).catch(() => undefined);

  if (info === undefined && hostPath.type === "DirectoryOrCreate") {
    await mkdir(file, { recursive: true, mode: CREATED_DIRECTORY_MODE });
    info = await stat(file);
  } else if (info === undefined && hostPath.type === "FileOrCreate") {
    // Like kubelet, FileOrCreate does not create the file's parent directory.
    try {
      await (await open(file, "a", CREATED_FILE_MODE)).close();
    } catch (error) {
      throw new VolumeError(`hostPath volume ${volume.name}: failed to create ${file}: ${describe(error)}`, { cause: error });
    }
    info = await stat(file);
  }

  const checks: Record<string, [boolean, string]> = {
    DirectoryOrCreate: [info?.isDirectory() ?? false, "a directory"],
    Directory: [info?.isDirectory() ?? false, "a directory"],
    FileOrCreate: [info?.isFile() ?? false, "a file"],
    File: [info?.isFile() ?? false, "a file"],
    Socket: [info?.isSocket() ?? false, "a socket file"],
    CharDevice: [info?.isCharacterDevice() ?? false, "a character device"],
    BlockDevice: [info?.isBlockDevice() ?? false, "a block device"],
  };
  const [ok, expected] = checks[hostPath.type] ?? [true, ""];
  if (!ok) {
    const missing = info === undefined ? " (it does not exist)" : "";
    throw new VolumeError(`hostPath type check failed for volume ${volume.name}: ${file} is not ${expected}${missing}`);
  }
}

/**
 * Creates a missing subPath directory with the mode of its volume's root, and rejects a subPath
 * that leaves the volume through a symbolic link.
 */
async function prepareSubPath(pod: Pod, volumeName: string, subPath: string, stateDir: string): Promise<void> {
  const target = volumeHostPath(pod, { name: volumeName, mountPath: "", subPath }, stateDir);
  const root = volumeHostPath(pod, { name: volumeName, mountPath: "" }, stateDir);
  if (target === undefined || root === undefined) return;

  const rootInfo = await stat(root).catch(() => undefined);
  if (rootInfo === undefined) return;
  if ((await lstat(target).catch(() => undefined)) === undefined) {
    await mkdir(target, { recursive: true, mode: rootInfo.mode & 0o7777 });
  }
  const [realRoot, realTarget] = await Promise.all([realpath(root), realpath(target)]);
  if (realTarget !== realRoot && !realTarget.startsWith(realRoot.endsWith("/") ? realRoot : `${realRoot}/`)) {
    throw new VolumeError(`subPath ${subPath} of volume ${volumeName} resolves to ${realTarget}, outside the volume`);
  }
}

/**
 * Removes a pod's state: unmounts its tmpfs volumes, deletes its state directory, and removes the
 * empty pod cgroups the runtime left under `kubepods`. Errors are returned, not thrown, so one
 * leftover does not stop the rest.
 */
export async function removePodState(podUID: string, stateDir: string): Promise<Error[]> {
  const errors: Error[] = [];
  const directory = podStateDirectory(stateDir, podUID);
  // tinylet mounts tmpfs only on emptyDir volumes, so a pod without the volumes directory has no
  // mount. The check spares reading the mount table, which grows with every running pod.
  const mounted = existsSync(path.join(directory, "volumes"))
    ? mountPoints()
        .filter((point) => point.startsWith(`${directory}/`))
        .sort((a, b) => b.length - a.length)
    : [];
  for (const point of mounted) {
    await run("umount", [point]).catch((error: unknown) => errors.push(new Error(`failed to unmount ${point}: ${describe(error)}`)));
  }
  if (errors.length === 0) {
    await rm(directory, { recursive: true, force: true }).catch((error: unknown) => errors.push(error as Error));
  }
  await removePodCgroups(podUID);
  return errors;
}

/** The entries of CGROUP_ROOT, read at the first teardown: hierarchies are mounted at boot. */
let cgroupHierarchies: string[] | undefined;

/** Removes the pod's empty cgroup directories in every v1 hierarchy; busy or missing ones are left alone. */
async function removePodCgroups(podUID: string): Promise<void> {
  cgroupHierarchies ??= readCgroupHierarchies();
  const tails = [`kubepods/pod${podUID}`, `kubepods/burstable/pod${podUID}`, `kubepods/besteffort/pod${podUID}`];
  for (const hierarchy of cgroupHierarchies) {
    for (const tail of tails) {
      const directory = path.join(CGROUP_ROOT, hierarchy, tail);
      // Only one of the three QoS places exists. Each failed rmdir costs an error object, so the
      // missing places are skipped with a check that throws nothing.
      if (existsSync(directory)) await rmdir(directory).catch(() => undefined);
    }
  }
}

function readCgroupHierarchies(): string[] {
  try {
    return readdirSync(CGROUP_ROOT);
  } catch {
    return [];
  }
}

/** Returns the mount points of this mount namespace, from /proc/self/mountinfo. */
function mountPoints(): string[] {
  let text = "";
  try {
    text = readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return [];
  }
  // The fifth field is the mount point, with spaces and other bytes written as octal escapes.
  return text
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((point): point is string => point !== undefined)
    .map((point) => point.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8))));
}

function describe(error: unknown): string {
  const stderr = (error as { stderr?: unknown }).stderr;
  if (typeof stderr === "string" && stderr.trim() !== "") return stderr.trim();
  return error instanceof Error ? error.message : String(error);
}
