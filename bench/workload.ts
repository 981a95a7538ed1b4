/**
 * The benchmark's pods: one manifest text per pod, and the CRI configs tinylet builds from it, so
 * the bare client and tinylet send the runtime the same sandbox and container configs.
 */
import { mkdir, mkdtemp, rename, rm, unlink, writeFile } from "node:fs/promises";
import path from "node:path";

import { parseManifest, type Pod } from "../src/manifest/index.js";
import type { NodeSettings } from "../src/reconcile/node.js";
import { terminationMessageFile } from "../src/reconcile/pod-paths.js";
import { containerConfig, sandboxConfig, type ContainerConfig, type SandboxConfig } from "../src/reconcile/runtime-config.js";

/** The lab's busybox image, built offline and pushed to the local registry. */
export const IMAGE = "localhost:5000/busybox:latest";

/** Namespace of every benchmark pod. */
export const BENCH_NAMESPACE = "tinylet-bench";

/** Label on every benchmark pod's sandbox, so cleanup removes exactly what the benchmark made. */
export const BENCH_LABEL = "tinylet-bench";

/** Seconds between SIGTERM and SIGKILL; the container exits on SIGTERM, so this is only a bound. */
const GRACE_PERIOD_SECONDS = 2;

/**
 * A shell loop that exits 0 on SIGTERM at once. The shell is PID 1 of the container, which the
 * kernel shields from signals without a handler, so the trap is what lets it stop gracefully.
 */
const SCRIPT = "trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done";

/**
 * Directories and node settings for pod files, the same for tinylet and the floor. The settings
 * are built by the daemon's own flag parser, so the configs match.
 */
export interface PodPlaces {
  manifestsDir: string;
  podLogRoot: string;
  node: NodeSettings;
}

/** One benchmark pod: its manifest and what tinylet would send the runtime for it. */
export interface BenchPod {
  /** `namespace/name`, as tinylet logs it. */
  key: string;
  name: string;
  /** Absolute path of the manifest in the manifests directory. */
  file: string;
  text: string;
  pod: Pod;
  sandbox: SandboxConfig;
  /**
   * The CreateContainer config tinylet would send without the pod's IP. tinylet reads the IP with
   * PodSandboxStatus and then also mounts a generated /etc/hosts. The floor makes no such call, so
   * its config lacks that one mount.
   */
  container: ContainerConfig;
  /** The file the container's termination message path is mounted from; it must exist before CreateContainer. */
  terminationMessageFile: string;
}

/** Returns the Kubernetes Pod manifest of benchmark pod `name`. */
export function manifestText(name: string): string {
  return [
    "apiVersion: v1",
    "kind: Pod",
    "metadata:",
    `  name: ${name}`,
    `  namespace: ${BENCH_NAMESPACE}`,
    "  labels:",
    `    ${BENCH_LABEL}: "true"`,
    "spec:",
    `  terminationGracePeriodSeconds: ${GRACE_PERIOD_SECONDS}`,
    "  containers:",
    "  - name: main",
    `    image: ${IMAGE}`,
    // Without it a :latest image is pulled before every start, as kubelet does; the floor pulls once.
    "    imagePullPolicy: IfNotPresent",
    `    command: ["sh", "-c", ${JSON.stringify(SCRIPT)}]`,
    "",
  ].join("\n");
}

/** Builds benchmark pod `name` as tinylet would read it from the manifests directory. */
export function benchPod(places: PodPlaces, name: string): BenchPod {
  const file = path.join(places.manifestsDir, `${name}.yaml`);
  const text = manifestText(name);
  const result = parseManifest(file, text);
  const pod = result.pods[0];
  if (pod === undefined || result.errors.length > 0) {
    throw new Error(`benchmark manifest ${name} is invalid: ${result.errors.map((error) => error.message).join("; ")}`);
  }
  const container = pod.containers[0];
  if (container === undefined) {
    throw new Error(`benchmark manifest ${name} has no container`);
  }
  return {
    key: `${pod.namespace}/${pod.name}`,
    name,
    file,
    text,
    pod,
    sandbox: sandboxConfig(pod, 0, places.podLogRoot, places.node),
    container: containerConfig(pod, container, 0, { node: places.node, podIPs: [], image: {} }),
    terminationMessageFile: terminationMessageFile(places.node.stateDir, pod.uid, container.name, 0),
  };
}

/** Builds `count` benchmark pods named `PREFIX-000`, `PREFIX-001`, and so on. */
export function benchPods(places: PodPlaces, prefix: string, count: number): BenchPod[] {
  return Array.from({ length: count }, (_, index) => benchPod(places, `${prefix}-${String(index).padStart(3, "0")}`));
}

/**
 * Creates the files the floor's container configs mount, as tinylet creates them before
 * CreateContainer. The floor does this before its clock starts.
 */
export async function prepareFloorFiles(pods: readonly BenchPod[]): Promise<void> {
  for (const pod of pods) {
    await mkdir(path.dirname(pod.terminationMessageFile), { recursive: true, mode: 0o750 });
    await writeFile(pod.terminationMessageFile, "", { mode: 0o666 });
  }
}

/**
 * Writes manifests in two steps: into a staging directory beside the manifests directory (same
 * file system, and a name tinylet does not watch), then renames them in. A rename is atomic, so
 * tinylet never reads a half-written file, and the rename is the moment the manifest appears.
 */
export class ManifestWriter {
  private constructor(
    readonly manifestsDir: string,
    private readonly stagingDir: string,
  ) {}

  /** Creates the staging directory inside `parentDir`, which must hold `manifestsDir` too. */
  static async create(parentDir: string, manifestsDir: string): Promise<ManifestWriter> {
    return new ManifestWriter(manifestsDir, await mkdtemp(path.join(parentDir, "staging-")));
  }

  /** Writes the pods' manifests into the staging directory. */
  async stage(pods: readonly BenchPod[]): Promise<void> {
    await Promise.all(pods.map((pod) => writeFile(this.stagedPath(pod), pod.text)));
  }

  /** Renames staged manifests into the manifests directory, one after another. */
  async publish(pods: readonly BenchPod[]): Promise<void> {
    for (const pod of pods) {
      await rename(this.stagedPath(pod), pod.file);
    }
  }

  /** Deletes the pods' manifests from the manifests directory, one after another. */
  async delete(pods: readonly BenchPod[]): Promise<void> {
    for (const pod of pods) {
      await unlink(pod.file);
    }
  }

  /** Deletes whichever of the pods' manifests are in the manifests directory, after a run that may have failed midway. */
  async discard(pods: readonly BenchPod[]): Promise<void> {
    await Promise.all(pods.map((pod) => rm(pod.file, { force: true })));
  }

  /** Removes the staging directory. */
  async close(): Promise<void> {
    await rm(this.stagingDir, { recursive: true, force: true });
  }

  private stagedPath(pod: BenchPod): string {
    return path.join(this.stagingDir, path.basename(pod.file));
  }
}
