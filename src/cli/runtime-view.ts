import type { CriClient } from "../cri/index.js";
import { PodSandboxState } from "../cri/index.js";
import { OWNED_SELECTOR } from "../reconcile/labels.js";
import { nanosToMs, observeContainer, observeSandbox, type ObservedContainer, type ObservedSandbox } from "../reconcile/observed.js";

/** A sandbox tinylet owns, as the CLI shows it. */
export interface PodView {
  id: string;
  name: string;
  namespace: string;
  uid: string;
  attempt: number;
  state: "SANDBOX_READY" | "SANDBOX_NOTREADY";
  createdAt: string;
  manifest: string | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** A container instance tinylet owns, as the CLI shows it. */
export interface ContainerView {
  id: string;
  podSandboxId: string;
  pod: string;
  namespace: string;
  name: string;
  attempt: number;
  image: string;
  state: "CONTAINER_CREATED" | "CONTAINER_RUNNING" | "CONTAINER_EXITED" | "CONTAINER_UNKNOWN";
  createdAt: string;
}

/** Everything tinylet owns on the runtime, with the raw observed records for commands that need them. */
export interface RuntimeView {
  pods: PodView[];
  containers: ContainerView[];
  sandboxes: ObservedSandbox[];
  instances: ObservedContainer[];
}

/** Lists tinylet's sandboxes and containers, newest first. */
export async function readRuntime(cri: CriClient): Promise<RuntimeView> {
  const [sandboxes, containers] = await Promise.all([cri.listPodSandbox(OWNED_SELECTOR), cri.listContainers(OWNED_SELECTOR)]);
  sandboxes.sort((a, b) => Number(b.createdAt - a.createdAt));
  containers.sort((a, b) => Number(b.createdAt - a.createdAt));

  const observedSandboxes = sandboxes.map(observeSandbox);
  const byId = new Map(observedSandboxes.map((sandbox) => [sandbox.id, sandbox]));

  const pods: PodView[] = sandboxes.map((sandbox, index) => {
    const observed = observedSandboxes[index] as ObservedSandbox;
    return {
      id: sandbox.id,
      name: observed.name,
      namespace: observed.namespace,
      uid: observed.uid,
      attempt: observed.attempt,
      state: sandbox.state === PodSandboxState.SANDBOX_READY ? "SANDBOX_READY" : "SANDBOX_NOTREADY",
      createdAt: new Date(nanosToMs(sandbox.createdAt)).toISOString(),
      manifest: observed.manifest ?? null,
      labels: sandbox.labels,
      annotations: sandbox.annotations,
    };
  });

  const instances = containers.map((container) => observeContainer(container));
  const views: ContainerView[] = instances.map((instance) => {
    const sandbox = byId.get(instance.sandboxId);
    return {
      id: instance.id,
      podSandboxId: instance.sandboxId,
      pod: sandbox?.name ?? "",
      namespace: sandbox?.namespace ?? "",
      name: instance.name,
      attempt: instance.attempt,
      image: instance.image,
      state: `CONTAINER_${instance.state.toUpperCase()}` as ContainerView["state"],
      createdAt: new Date(instance.createdAtMs).toISOString(),
    };
  });

  return { pods, containers: views, sandboxes: observedSandboxes, instances };
}
