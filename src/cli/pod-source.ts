/**
 * Where the CLI reads pods from: the daemon's read-only API when it responds, so the CLI shows
 * exactly what the daemon serves, and the runtime otherwise. From the runtime alone the status is
 * computed by the same function the daemon uses, without what only the daemon knows (probe
 * results, back-off, events, the manifests' specs).
 */
import http from "node:http";

import { clientAddress, DEFAULT_STATUS_ADDR, parseStatusAddress, type ListenAddress } from "../api/index.js";
import type { CriClient, ContainerStatus as CriContainerStatus } from "../cri/index.js";
import { NamespaceMode } from "../cri/index.js";
import { compareNames } from "../manifest/file-names.js";
import type { Container, Pod, RestartPolicy } from "../manifest/index.js";
import { GRACE_PERIOD_ANNOTATION, MANIFEST_ANNOTATION, OWNED_SELECTOR, RESTART_POLICY_ANNOTATION } from "../reconcile/labels.js";
import { hostNodeSettings } from "../reconcile/node.js";
import { nanosToMs, observeContainer, observeSandbox, type ObservedContainer, type ObservedSandbox } from "../reconcile/observed.js";
import type { ContainerDetails, DetailsView, SandboxDetails } from "../status/details.js";
import type { V1Event, V1EventList, V1Pod, V1PodList } from "../status/k8s-types.js";
import { podObject } from "../status/pod-json.js";
import { computePodStatus } from "../status/pod-status.js";
import { UsageError } from "./output.js";

/** The source the pods were read from. */
export type PodSourceKind = { kind: "api"; address: string } | { kind: "runtime"; socket: string; reason: string };

/** Pods and, from the API only, their events. */
export interface LoadedPods {
  source: PodSourceKind;
  list: V1PodList;
  events: V1Event[];
}

/** How long the CLI waits for the daemon's API before reading the runtime, in milliseconds. */
const API_TIMEOUT_MS = 2_000;

/** Reads `--status-addr`, else TINYLET_STATUS_ADDR, else the default; undefined when set to "". */
export function statusAddressFlag(flag: string | undefined): ListenAddress | undefined {
  const text = flag ?? process.env["TINYLET_STATUS_ADDR"] ?? DEFAULT_STATUS_ADDR;
  try {
    const address = parseStatusAddress(text);
    return address === undefined ? undefined : clientAddress(address);
  } catch (error) {
    throw new UsageError((error as Error).message.replace("status address", "--status-addr"));
  }
}

/** Loads pods from the API at `address` when it responds, else from the runtime through `connect()`. */
export async function loadPods(address: ListenAddress | undefined, connect: () => CriClient, withEvents: boolean): Promise<LoadedPods> {
  let reason = "the status API is turned off (--status-addr \"\")";
  if (address !== undefined) {
    const label = `${address.host.includes(":") ? `[${address.host}]` : address.host}:${address.port}`;
    try {
      const list = (await getJson(address, "/pods")) as V1PodList;
      if (list.kind !== "PodList" || !Array.isArray(list.items)) throw new Error("the response to /pods is not a PodList");
      const events = withEvents ? ((await getJson(address, "/events")) as V1EventList).items : [];
      return { source: { kind: "api", address: label }, list, events };
    } catch (error) {
      reason = `the daemon's status API at ${label} did not respond (${(error as Error).message})`;
    }
  }

  const cri = connect();
  try {
    return { source: { kind: "runtime", socket: cri.socketPath, reason }, list: await podsFromRuntime(cri), events: [] };
  } finally {
    cri.close();
  }
}

function getJson(address: ListenAddress, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: address.host, port: address.port, path, timeout: API_TIMEOUT_MS, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        if (response.statusCode !== 200) {
          reject(new Error(`GET ${path} returned ${response.statusCode}`));
          return;
        }
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
        } catch (error) {
          reject(new Error(`GET ${path} returned invalid JSON`, { cause: error }));
        }
      });
      response.on("error", reject);
    });
    request.on("timeout", () => request.destroy(new Error(`timed out after ${API_TIMEOUT_MS} ms`)));
    request.on("error", (error: NodeJS.ErrnoException) => reject(new Error(error.code === "ECONNREFUSED" ? "connection refused" : error.message)));
  });
}

/**
 * Builds the pod list from the runtime alone: one pod per `namespace/name`, in the version of its
 * newest sandbox, with a spec rebuilt from the sandbox's annotations and the containers' metadata.
 */
export async function podsFromRuntime(cri: CriClient): Promise<V1PodList> {
  const [rawSandboxes, rawContainers] = await Promise.all([cri.listPodSandbox(OWNED_SELECTOR), cri.listContainers(OWNED_SELECTOR)]);
  const statuses = await Promise.all(rawContainers.map((c) => cri.containerStatus(c.id).catch(() => undefined)));
  const sandboxStatuses = await Promise.all(rawSandboxes.map((s) => cri.podSandboxStatus(s.id).catch(() => undefined)));

  const containerDetails = new Map<string, ContainerDetails>();
  const instances: ObservedContainer[] = rawContainers.map((container, index) => {
    const status: CriContainerStatus | undefined = statuses[index];
    if (status !== undefined) {
      containerDetails.set(container.id, { startedAtMs: nanosToMs(status.startedAt), imageRef: status.imageRef, message: status.message });
    }
    return observeContainer(container, status);
  });

  const sandboxDetails = new Map<string, SandboxDetails>();
  const hostNetwork = new Set<string>();
  rawSandboxes.forEach((sandbox, index) => {
    const status = sandboxStatuses[index];
    const ip = status?.network?.ip ?? "";
    sandboxDetails.set(sandbox.id, { ips: ip === "" ? [] : [ip, ...(status?.network?.additionalIps ?? []).map((extra) => extra.ip)] });
    if (status?.linux?.namespaces?.options?.network === NamespaceMode.NODE) hostNetwork.add(sandbox.id);
  });
  const details: DetailsView = { container: (id) => containerDetails.get(id), sandbox: (id) => sandboxDetails.get(id) };

  const sandboxes = rawSandboxes.map(observeSandbox);
  const newestByKey = new Map<string, ObservedSandbox>();
  for (const sandbox of sandboxes) {
    const key = `${sandbox.namespace}/${sandbox.name}`;
    const newest = newestByKey.get(key);
    if (newest === undefined || sandbox.createdAtMs > newest.createdAtMs) newestByKey.set(key, sandbox);
  }

  const nowMs = Date.now();
  // NOTE: the host's own addresses; a daemon started with --node-ip reports those instead.
  const node = hostNodeSettings();
  const items: V1Pod[] = [];
  for (const [, newest] of [...newestByKey].sort(([a], [b]) => compareNames(a, b))) {
    const version = sandboxes.filter((s) => s.namespace === newest.namespace && s.name === newest.name && s.uid === newest.uid);
    const ids = new Set(version.map((s) => s.id));
    const containers = instances.filter((c) => ids.has(c.sandboxId));
    const raw = rawSandboxes.find((s) => s.id === newest.id);
    const pod = podFromRuntime(newest, raw?.labels ?? {}, raw?.annotations ?? {}, containers, hostNetwork.has(newest.id));

    const status = computePodStatus({
      pod,
      sandboxes: version,
      containers,
      details,
      backoff: new Map(),
      startFailures: new Map(),
      // NOTE: without the daemon nothing probes; a running container counts as started and ready.
      probes: () => undefined,
      hostIPs: node.nodeIPs,
      runtimeName: "containerd",
      startTimeMs: undefined,
      nowMs,
    });
    const ready = version.filter((s) => s.ready).sort((a, b) => b.createdAtMs - a.createdAtMs)[0];
    const oldest = Math.min(...version.map((s) => s.createdAtMs));
    items.push(podObject(pod, status, { firstSeenMs: oldest, sandboxId: ready?.id, nodeName: node.nodeName }));
  }
  return { kind: "PodList", apiVersion: "v1", metadata: {}, items };
}

const OWN_LABEL_PREFIXES = ["io.kubernetes.", "tinylet"];

/** Rebuilds what the runtime records of a pod's spec; everything else takes Kubernetes' defaults. */
function podFromRuntime(
  sandbox: ObservedSandbox,
  labels: Record<string, string>,
  annotations: Record<string, string>,
  instances: readonly ObservedContainer[],
  hostNetwork: boolean,
): Pod {
  const names = [...new Set([...instances].sort((a, b) => a.createdAtMs - b.createdAtMs).map((c) => c.name))];
  const containers: Container[] = names.map((name) => {
    const latest = instances.filter((c) => c.name === name).sort((a, b) => b.attempt - a.attempt)[0];
    return { name, image: latest?.image ?? "", command: [], args: [], env: [], ports: [] };
  });
  const policy = annotations[RESTART_POLICY_ANNOTATION];
  const restartPolicy: RestartPolicy = policy === "OnFailure" || policy === "Never" ? policy : "Always";
  const grace = Number.parseInt(annotations[GRACE_PERIOD_ANNOTATION] ?? "", 10);

  return {
    uid: sandbox.uid,
    name: sandbox.name,
    namespace: sandbox.namespace,
    labels: Object.fromEntries(Object.entries(labels).filter(([key]) => !OWN_LABEL_PREFIXES.some((prefix) => key.startsWith(prefix)))),
    annotations: {},
    restartPolicy,
    terminationGracePeriodSeconds: Number.isFinite(grace) ? grace : 30,
    hostNetwork,
    // NOTE: the runtime does not mark init containers, so from the runtime alone every container is listed as a container.
    initContainers: [],
    containers,
    source: { file: annotations[MANIFEST_ANNOTATION] ?? "", document: 0, line: 0 },
  };
}
