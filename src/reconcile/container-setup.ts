/**
 * The host-side steps before a container instance is created, as kubelet takes them: the pod's
 * volumes, its IPs (known only once the sandbox runs), its /etc/hosts, the file behind the
 * termination message path, the image's user and the runAsNonRoot check, and the image pull
 * decision of imagePullPolicy.
 */
import { existsSync } from "node:fs";
import { readFile, writeFile, chmod, mkdir, open, readdir, rm } from "node:fs/promises";
import path from "node:path";

import type { CriClient } from "../cri/index.js";
import type { ImageStatusReader } from "./image-status.js";
import type { Container, HostAlias, Pod, PullPolicy } from "../manifest/index.js";
import type { NodeSettings } from "./node.js";
import { hostsFilePath, podHostnameAndDomain, terminationMessageFile } from "./pod-paths.js";
import { effectivePodIPs, type ContainerContext } from "./runtime-config.js";
import { checkRunAsNonRoot, type ImageUser } from "./security.js";
import { preparePodVolumes } from "./volumes.js";

/** The node's hosts file, copied into hostNetwork pods. */
const NODE_HOSTS_FILE = "/etc/hosts";

/** A container that must not be created as configured, such as one whose runAsNonRoot check fails. */
export class ContainerConfigError extends Error {
  override readonly name = "ContainerConfigError";
}

/**
 * Prepares the host for one container instance and returns what its config depends on. Throws a
 * VolumeError or ContainerConfigError naming the problem. `knownImage` is the image's user when
 * the caller has just read its ImageStatus; without it the status is read here, through `images`.
 */
export async function prepareContainer(
  cri: CriClient,
  images: ImageStatusReader,
  pod: Pod,
  container: Container,
  attempt: number,
  sandboxId: string,
  node: NodeSettings,
  knownImage?: ImageUser,
): Promise<ContainerContext> {
  await preparePodVolumes(pod, node.stateDir);

  // The termination message file needs nothing from the runtime, so it is made during the runtime
  // calls. Each file step waits for the thread pool, which a 30-pod start keeps busy.
  const [context] = await Promise.all([
    runtimeContext(cri, images, pod, container, sandboxId, node, knownImage),
    createTerminationMessageFile(pod, container, attempt, node.stateDir),
  ]);

  const rejection = checkRunAsNonRoot(pod, container, context.image);
  if (rejection !== undefined) {
    throw new ContainerConfigError(`${rejection} (pod: ${pod.namespace}/${pod.name}, container: ${container.name})`);
  }
  return context;
}

/** Reads the pod's IPs and the image's user from the runtime, and writes the pod's hosts file with the IPs. */
async function runtimeContext(
  cri: CriClient,
  images: ImageStatusReader,
  pod: Pod,
  container: Container,
  sandboxId: string,
  node: NodeSettings,
  knownImage: ImageUser | undefined,
): Promise<ContainerContext> {
  const [podIPs, image] = await Promise.all([
    pod.hostNetwork ? [] : sandboxIPs(cri, sandboxId),
    knownImage ?? images.read(container.image).then(userOfImage),
  ]);
  const context: ContainerContext = { node, podIPs, image };
  const ips = effectivePodIPs(pod, context);
  if (ips.length > 0) {
    await writeHostsFile(pod, ips, node);
  }
  return context;
}

/** Returns the sandbox's IPs from PodSandboxStatus, primary first. */
export async function sandboxIPs(cri: CriClient, sandboxId: string): Promise<string[]> {
  const status = await cri.podSandboxStatus(sandboxId);
  const network = status.network;
  if (network === undefined) return [];
  return [network.ip, ...network.additionalIps.map((extra) => extra.ip)].filter((ip) => ip !== "");
}

/** Returns the user in an ImageStatus result; an absent image or an unset user gives {}. */
export function userOfImage(status: { uid?: { value: bigint }; username: string } | undefined): ImageUser {
  if (status?.uid !== undefined) return { uid: status.uid.value };
  if (status?.username) return { username: status.username };
  return {};
}

/**
 * Writes the pod's hosts file, as kubelet does: for hostNetwork pods the node's own file with the
 * aliases appended, otherwise localhost entries, the pod's IPs with its host name, and the aliases.
 */
export async function writeHostsFile(pod: Pod, podIPs: readonly string[], node: NodeSettings): Promise<void> {
  let content: string;
  if (pod.hostNetwork) {
    const nodeHosts = await readFile(NODE_HOSTS_FILE, "utf8").catch(() => "");
    content = `# Kubernetes-managed hosts file (host network).\n${nodeHosts}${aliasLines(pod.hostAliases)}`;
  } else {
    content = managedHostsFile(pod, podIPs);
  }
  const file = hostsFilePath(node.stateDir, pod.uid);
  await writeFile(file, content, { mode: 0o644 });
  await chmod(file, 0o644);
}

/** Returns the hosts file of a pod on the pod network. */
export function managedHostsFile(pod: Pod, podIPs: readonly string[]): string {
  const { hostname, domain } = podHostnameAndDomain(pod);
  const lines = [
    "# Kubernetes-managed hosts file.",
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
    "fe00::0\tip6-localnet",
    "fe00::0\tip6-mcastprefix",
    "fe00::1\tip6-allnodes",
    "fe00::2\tip6-allrouters",
    ...podIPs.map((ip) => (domain ? `${ip}\t${hostname}.${domain}\t${hostname}` : `${ip}\t${hostname}`)),
  ];
  return `${lines.join("\n")}\n${aliasLines(pod.hostAliases)}`;
}

function aliasLines(aliases: readonly HostAlias[] | undefined): string {
  if (aliases === undefined || aliases.length === 0) return "";
  return `\n# Entries added by HostAliases.\n${aliases.map((alias) => `${alias.ip}\t${alias.hostnames.join("\t")}\n`).join("")}`;
}

/**
 * Creates the empty, world-writable file mounted at the instance's terminationMessagePath, and
 * removes the files of instances older than the previous one, which no `logs --previous` reads.
 */
async function createTerminationMessageFile(pod: Pod, container: Container, attempt: number, stateDir: string): Promise<void> {
  const file = terminationMessageFile(stateDir, pod.uid, container.name, attempt);
  const directory = path.dirname(file);
  if (!existsSync(directory)) await mkdir(directory, { recursive: true, mode: 0o750 });
  await (await open(file, "a")).close();
  await chmod(file, 0o666);

  // Attempts 0 and 1 have nothing older to remove.
  if (attempt < 2) return;
  for (const name of await readdir(directory)) {
    const older = Number(name);
    if (Number.isInteger(older) && older < attempt - 1) await rm(path.join(directory, name), { force: true });
  }
}

/** The image-pull step that a pull policy requests, given whether the node has the image. */
export type PullDecision = "pull" | "use";

/**
 * Returns whether to pull: Always pulls, IfNotPresent pulls an absent image, Never never pulls and
 * fails with ErrImageNeverPull, kubelet's reason, when the image is absent.
 */
export function pullDecision(image: string, policy: PullPolicy, present: boolean): PullDecision {
  if (policy === "Always") return "pull";
  if (present) return "use";
  if (policy === "Never") {
    throw new ContainerConfigError(`ErrImageNeverPull: container image "${image}" is not present with pull policy of Never`);
  }
  return "pull";
}
