/**
 * The parts of the daemon around the reconcile loop: probes, runtime details, pod status, events,
 * metrics and the read-only HTTP API. Built here so the daemon command only wires them together.
 */
import { clientAddress, Metrics, startApiServer, type ApiServer, type ListenAddress } from "../api/index.js";
import type { CriClient } from "../cri/index.js";
import type { Logger } from "../log/logger.js";
import { criProbeRunner, ProbeManager } from "../probe/index.js";
import type { Controller } from "../reconcile/controller.js";
import type { NodeSettings } from "../reconcile/node.js";
import { RuntimeDetails } from "../status/details.js";
import { EventRecorder } from "../status/events.js";
import { StatusStore } from "../status/store.js";

/** The services the controller uses. */
export interface DaemonServices {
  probes: ProbeManager;
  details: RuntimeDetails;
  status: StatusStore;
  events: EventRecorder;
  metrics: Metrics;
}

/**
 * Builds the services. `metrics` must be the one the CriClient reports calls to; `requestPass`
 * starts a reconcile pass when a probe finds a container unhealthy.
 */
export function createDaemonServices(
  cri: CriClient,
  metrics: Metrics,
  node: Pick<NodeSettings, "nodeName" | "nodeIPs">,
  log: Logger,
  requestPass: () => void,
): DaemonServices {
  const events = new EventRecorder({ log });
  const details = new RuntimeDetails(cri);
  const probes = new ProbeManager({
    run: criProbeRunner(cri),
    log,
    events,
    onUnhealthy: requestPass,
    observe: (type, pod, container, result) => metrics.countProbe(type, pod, container, result),
  });
  const status = new StatusStore({
    details,
    events,
    probes: (containerId) => probes.status(containerId),
    hostIPs: node.nodeIPs,
    nodeName: node.nodeName,
    onPodRunning: (_pod, latencyMs) => metrics.observePodStart(latencyMs),
  });
  return { probes, details, status, events, metrics };
}

/**
 * Starts the read-only API on `address`. A failure to listen is logged and the daemon goes on
 * without the API, because pods matter more than their status page.
 */
export async function startStatusApi(
  address: ListenAddress,
  services: DaemonServices,
  controller: Controller,
  log: Logger,
): Promise<ApiServer | undefined> {
  try {
    const server = await startApiServer(address, {
      log,
      source: {
        health: () => controller.health(),
        podList: () => services.status.podList(),
        eventList: () => services.status.eventList(),
        metrics: () => services.metrics.render(),
      },
    });
    const reachable = clientAddress(server.address);
    const host = reachable.host.includes(":") ? `[${reachable.host}]` : reachable.host;
    log.info("serving status API", { addr: `${host}:${server.address.port}` });
    return server;
  } catch (error) {
    log.error("cannot serve status API; running without it", { addr: `${address.host}:${address.port}`, err: error });
    return undefined;
  }
}
