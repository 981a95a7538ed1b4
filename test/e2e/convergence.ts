/**
 * The end state every fault test and the soak test check: the runtime contains exactly the pods the
 * manifests directory defines and nothing else that tinylet owns. Also a sampler that watches the
 * runtime while a test runs, to catch two live sandboxes of one pod at the same moment.
 */
import { ContainerState, PodSandboxState, type CriClient } from "../../src/cri/index.js";
import { parseManifest } from "../../src/manifest/index.js";
import { CONTAINER_NAME_LABEL, OWNED_SELECTOR, POD_NAME_LABEL, POD_NAMESPACE_LABEL, POD_UID_LABEL } from "../../src/reconcile/labels.js";

/** A pod the directory defines, as the runtime must show it. */
export interface DesiredPod {
  namespace: string;
  name: string;
  uid: string;
  /** Names of the containers (not init containers) that must be running. */
  containers: string[];
}

/** Returns the pods of a manifest text, failing when the text is not a valid manifest. */
export function desiredPods(text: string): DesiredPod[] {
  const result = parseManifest("manifest.yaml", text);
  if (result.errors.length > 0) {
    throw new Error(`test manifest is invalid: ${result.errors.map((error) => error.message).join("; ")}`);
  }
  return result.pods.map((pod) => ({
    namespace: pod.namespace,
    name: pod.name,
    uid: pod.uid,
    containers: pod.containers.map((container) => container.name),
  }));
}

/**
 * Lists how the runtime differs from `desired`; an empty list means it matches. A match is, for
 * each desired pod, one sandbox, ready, with the pod's UID, in which each container has exactly
 * one running instance and at most one exited earlier instance; and no other sandbox or container
 * labelled tinylet=true, in particular none created but never started.
 */
export async function differences(cri: CriClient, desired: readonly DesiredPod[]): Promise<string[]> {
  const [sandboxes, containers] = await Promise.all([cri.listPodSandbox(OWNED_SELECTOR), cri.listContainers(OWNED_SELECTOR)]);
  const found: string[] = [];
  const expected = new Map(desired.map((pod) => [`${pod.namespace}/${pod.name}`, pod]));
  const keptSandboxes = new Map<string, DesiredPod>();

  for (const sandbox of sandboxes) {
    const key = `${sandbox.labels[POD_NAMESPACE_LABEL]}/${sandbox.labels[POD_NAME_LABEL]}`;
    const pod = expected.get(key);
    const uid = sandbox.labels[POD_UID_LABEL];
    const state = sandbox.state === PodSandboxState.SANDBOX_READY ? "ready" : "not ready";
    if (pod === undefined) {
      found.push(`sandbox ${sandbox.id.slice(0, 13)} of ${key} (${state}) is not desired`);
    } else if (uid !== pod.uid) {
      found.push(`sandbox ${sandbox.id.slice(0, 13)} of ${key} (${state}) has UID ${uid}, expected ${pod.uid}`);
    } else if (state !== "ready") {
      found.push(`sandbox ${sandbox.id.slice(0, 13)} of ${key} is not ready`);
    } else {
      keptSandboxes.set(sandbox.id, pod);
    }
  }

  const sandboxCount = new Map<string, number>();
  for (const pod of keptSandboxes.values()) {
    const key = `${pod.namespace}/${pod.name}`;
    sandboxCount.set(key, (sandboxCount.get(key) ?? 0) + 1);
  }
  for (const [key, pod] of expected) {
    const count = sandboxCount.get(key) ?? 0;
    if (count !== 1) {
      found.push(`${key} has ${count} ready sandboxes with UID ${pod.uid}, expected 1`);
    }
  }

  const instances = new Map<string, { running: number; exited: number }>();
  for (const container of containers) {
    const pod = keptSandboxes.get(container.podSandboxId);
    const name = container.labels[CONTAINER_NAME_LABEL] ?? "";
    const where = `container ${container.id.slice(0, 13)} (${name}, attempt ${container.metadata?.attempt ?? 0})`;
    if (pod === undefined) {
      if (!sandboxes.some((sandbox) => sandbox.id === container.podSandboxId)) {
        found.push(`${where} belongs to no listed sandbox`);
      }
      continue;
    }
    const key = `${pod.namespace}/${pod.name}/${name}`;
    const counts = instances.get(key) ?? { running: 0, exited: 0 };
    instances.set(key, counts);
    if (container.state === ContainerState.CONTAINER_RUNNING) {
      counts.running += 1;
    } else if (container.state === ContainerState.CONTAINER_EXITED) {
      counts.exited += 1;
    } else {
      found.push(`${where} of ${pod.namespace}/${pod.name} is in state ${ContainerState[container.state]}`);
    }
  }
  for (const pod of expected.values()) {
    for (const name of pod.containers) {
      const key = `${pod.namespace}/${pod.name}/${name}`;
      const counts = instances.get(key) ?? { running: 0, exited: 0 };
      if (counts.running !== 1) {
        found.push(`${key} has ${counts.running} running instances, expected 1`);
      }
      if (counts.exited > 1) {
        found.push(`${key} keeps ${counts.exited} exited instances, expected at most 1`);
      }
    }
  }
  return found;
}

/**
 * Polls `differences` until the runtime matches `desired`, or fails after `timeoutMs` with the
 * differences of the last poll, so the failure names what did not converge.
 */
export async function waitConverged(cri: CriClient, desired: readonly DesiredPod[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: string[] = [];
  for (;;) {
    try {
      last = await differences(cri, desired);
    } catch (error) {
      last = [`listing the runtime failed: ${error instanceof Error ? error.message : String(error)}`];
    }
    if (last.length === 0) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`runtime did not converge within ${timeoutMs} ms:\n  ${last.join("\n  ")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Lists tinylet's sandboxes every `periodMs` while a test runs and records, per pod, the largest
 * number of ready sandboxes seen at one moment and every UID seen. A sandbox that lives shorter
 * than the period can be missed, so the sampler can only prove a duplicate, never rule one out.
 */
export class SandboxSampler {
  /** Largest number of ready sandboxes seen at once, by `namespace/name`. */
  readonly maxReady = new Map<string, number>();
  /** UIDs of the sandboxes seen, by `namespace/name`. */
  readonly uids = new Map<string, Set<string>>();
  samples = 0;
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly cri: CriClient,
    private readonly periodMs = 50,
  ) {
    this.loop = this.run();
  }

  /** Stops sampling and resolves once the last sample is recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /** Pods that had more than one ready sandbox at one moment, with the count. */
  duplicates(): string[] {
    return [...this.maxReady].filter(([, count]) => count > 1).map(([key, count]) => `${key}: ${count} ready sandboxes at once`);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const sandboxes = await this.cri.listPodSandbox(OWNED_SELECTOR);
        const ready = new Map<string, number>();
        for (const sandbox of sandboxes) {
          const key = `${sandbox.labels[POD_NAMESPACE_LABEL]}/${sandbox.labels[POD_NAME_LABEL]}`;
          const uids = this.uids.get(key) ?? new Set<string>();
          uids.add(sandbox.labels[POD_UID_LABEL] ?? "");
          this.uids.set(key, uids);
          if (sandbox.state === PodSandboxState.SANDBOX_READY) {
            ready.set(key, (ready.get(key) ?? 0) + 1);
          }
        }
        for (const [key, count] of ready) {
          this.maxReady.set(key, Math.max(this.maxReady.get(key) ?? 0, count));
        }
        this.samples += 1;
      } catch {
        // The runtime may be down on purpose; the next sample tries again.
      }
      await new Promise((resolve) => setTimeout(resolve, this.periodMs));
    }
  }
}
