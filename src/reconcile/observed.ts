import type { Container, ContainerStatus, PodSandbox } from "../cri/index.js";
import { ContainerState, PodSandboxState } from "../cri/index.js";
import {
  CONTAINER_NAME_LABEL,
  GRACE_PERIOD_ANNOTATION,
  MANIFEST_ANNOTATION,
  POD_NAME_LABEL,
  PRE_STOP_ANNOTATION,
  POD_NAMESPACE_LABEL,
  POD_UID_LABEL,
} from "./labels.js";

/** State of a container instance, with the CRI's meaning. */
export type ContainerInstanceState = "created" | "running" | "exited" | "unknown";

/** A sandbox tinylet owns, as the runtime reports it. */
export interface ObservedSandbox {
  id: string;
  name: string;
  namespace: string;
  uid: string;
  attempt: number;
  ready: boolean;
  /** Milliseconds since the epoch. */
  createdAtMs: number;
  /** Seconds from the sandbox's annotation; undefined when absent or unreadable. */
  terminationGracePeriodSeconds: number | undefined;
  /** Manifest file named in the sandbox's annotation, if any. */
  manifest: string | undefined;
}

/** One container instance (one attempt) tinylet owns. */
export interface ObservedContainer {
  id: string;
  sandboxId: string;
  name: string;
  attempt: number;
  state: ContainerInstanceState;
  image: string;
  /** Milliseconds since the epoch. */
  createdAtMs: number;
  /** Filled from ContainerStatus for exited containers only; an exited status never changes. */
  exit?: ContainerExit;
  /** The preStop hook stored in the container's annotation, as written. Absent when the container has none. */
  preStop?: string;
}

/** How an exited container ended. */
export interface ContainerExit {
  exitCode: number;
  reason: string;
  /** Milliseconds since the epoch; 0 when the runtime did not say. */
  startedAtMs: number;
  finishedAtMs: number;
}

/** Everything tinylet owns on the runtime at one moment. */
export interface ObservedState {
  sandboxes: ObservedSandbox[];
  containers: ObservedContainer[];
}

/** Converts CRI nanoseconds since the epoch to milliseconds. */
export function nanosToMs(nanos: bigint): number {
  return Number(nanos / 1_000_000n);
}

/** Builds an ObservedSandbox from a listed sandbox, reading identity from its labels and metadata. */
export function observeSandbox(sandbox: PodSandbox): ObservedSandbox {
  const labels = sandbox.labels;
  const grace = Number.parseInt(sandbox.annotations[GRACE_PERIOD_ANNOTATION] ?? "", 10);
  return {
    id: sandbox.id,
    name: labels[POD_NAME_LABEL] ?? sandbox.metadata?.name ?? "",
    namespace: labels[POD_NAMESPACE_LABEL] ?? sandbox.metadata?.namespace ?? "",
    uid: labels[POD_UID_LABEL] ?? sandbox.metadata?.uid ?? "",
    attempt: sandbox.metadata?.attempt ?? 0,
    ready: sandbox.state === PodSandboxState.SANDBOX_READY,
    createdAtMs: nanosToMs(sandbox.createdAt),
    terminationGracePeriodSeconds: Number.isFinite(grace) && grace >= 0 ? grace : undefined,
    manifest: sandbox.annotations[MANIFEST_ANNOTATION],
  };
}

/** Builds an ObservedContainer from a listed container and, for exited ones, its status. */
export function observeContainer(container: Container, status?: ContainerStatus): ObservedContainer {
  const observed: ObservedContainer = {
    id: container.id,
    sandboxId: container.podSandboxId,
    name: container.labels[CONTAINER_NAME_LABEL] ?? container.metadata?.name ?? "",
    attempt: container.metadata?.attempt ?? 0,
    state: containerStateName(container.state),
    image: container.image?.userSpecifiedImage || container.image?.image || container.imageRef,
    createdAtMs: nanosToMs(container.createdAt),
  };
  const preStop = container.annotations[PRE_STOP_ANNOTATION];
  if (preStop !== undefined && preStop !== "") observed.preStop = preStop;
  if (status !== undefined && observed.state === "exited") {
    observed.exit = {
      exitCode: status.exitCode,
      reason: status.reason,
      startedAtMs: nanosToMs(status.startedAt),
      finishedAtMs: nanosToMs(status.finishedAt),
    };
  }
  return observed;
}

/** Returns the lowercase name of a CRI container state. */
export function containerStateName(state: ContainerState): ContainerInstanceState {
  switch (state) {
    case ContainerState.CONTAINER_CREATED:
      return "created";
    case ContainerState.CONTAINER_RUNNING:
      return "running";
    case ContainerState.CONTAINER_EXITED:
      return "exited";
    default:
      return "unknown";
  }
}
