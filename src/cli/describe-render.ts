/** Renders one pod as `tinylet describe` prints it: spec, status and events, in kubectl's layout. */
import { compareNames } from "../manifest/file-names.js";
import type { ContainerState, ContainerStatus, V1Event, V1Pod } from "../status/k8s-types.js";
import { formatAge, renderTable } from "./output.js";
import type { PodSourceKind } from "./pod-source.js";

interface SpecContainer {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  ports?: { name?: string; containerPort: number; hostPort?: number; protocol?: string }[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  livenessProbe?: SpecProbe;
  readinessProbe?: SpecProbe;
  startupProbe?: SpecProbe;
  lifecycle?: { postStart?: { exec?: { command: string[] } }; preStop?: { exec?: { command: string[] } } };
}

interface SpecProbe {
  exec?: { command: string[] };
  httpGet?: { path?: string; port: number | string; host?: string; scheme?: string };
  tcpSocket?: { port: number | string; host?: string };
  grpc?: { port: number; service?: string };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

/** Width of the pod-level labels, such as `Restart Policy:`, with the space after them. */
const LABEL_WIDTH = 16;

/** Renders the description; `nowMs` dates the event ages. */
export function renderDescribe(pod: V1Pod, events: readonly V1Event[], source: PodSourceKind, nowMs: number): string {
  const lines: string[] = [];
  const field = (label: string, value: string): void => {
    lines.push(`${`${label}:`.padEnd(LABEL_WIDTH)}${value}`);
  };
  const { metadata, status } = pod;
  const spec = pod.spec as { nodeName?: string; containers?: SpecContainer[]; initContainers?: SpecContainer[]; restartPolicy?: string; terminationGracePeriodSeconds?: number; hostNetwork?: boolean };

  field("Name", metadata.name);
  field("Namespace", metadata.namespace);
  field("UID", metadata.uid);
  field("Node", `${spec.nodeName ?? "<none>"}/${status.hostIP ?? "<none>"}`);
  field("Start Time", status.startTime ?? "<none>");
  field("Labels", keyValues(metadata.labels, "="));
  field("Annotations", keyValues(metadata.annotations, ": "));
  field("Status", status.phase);
  field("IP", status.podIP ?? "<none>");
  if (status.podIPs !== undefined && status.podIPs.length > 0) {
    lines.push("IPs:");
    for (const ip of status.podIPs) lines.push(`  IP:  ${ip.ip}`);
  } else {
    field("IPs", "<none>");
  }
  field("Restart Policy", spec.restartPolicy ?? "Always");
  field("Grace Period", `${spec.terminationGracePeriodSeconds ?? 30}s`);
  if (spec.hostNetwork) field("Host Network", "true");

  if ((spec.initContainers ?? []).length > 0) {
    lines.push("Init Containers:");
    renderContainers(lines, spec.initContainers ?? [], status.initContainerStatuses ?? []);
  }
  lines.push("Containers:");
  renderContainers(lines, spec.containers ?? [], status.containerStatuses);

  lines.push("Conditions:");
  lines.push(
    ...renderTable(
      ["Type", "Status"],
      status.conditions.map((condition) => [condition.type, condition.status]),
    )
      .trimEnd()
      .split("\n")
      .map((line) => `  ${line}`),
  );

  field("QoS Class", status.qosClass ?? "<none>");

  const own = events.filter((event) => event.involvedObject.uid === metadata.uid);
  if (source.kind === "runtime") {
    lines.push(`${"Events:".padEnd(LABEL_WIDTH)}<unknown: the daemon keeps events, and it did not respond>`);
  } else if (own.length === 0) {
    lines.push(`${"Events:".padEnd(LABEL_WIDTH)}<none>`);
  } else {
    lines.push("Events:");
    const rows = own.map((event) => [
      event.type,
      event.reason,
      eventAge(event, nowMs),
      event.source.component,
      event.message,
    ]);
    lines.push(...renderTable(["Type", "Reason", "Age", "From", "Message"], rows).trimEnd().split("\n").map((line) => `  ${line}`));
  }

  lines.push("");
  lines.push(
    source.kind === "api"
      ? `Source: the tinylet daemon's status API at ${source.address}`
      : `Source: the runtime at ${source.socket}, because ${source.reason}; probe results, back-off and events are not known there`,
  );
  return lines.join("\n") + "\n";
}

function renderContainers(lines: string[], specs: readonly SpecContainer[], statuses: readonly ContainerStatus[]): void {
  for (const container of specs) {
    const status = statuses.find((s) => s.name === container.name);
    const field = (label: string, value: string): void => {
      lines.push(`    ${`${label}:`.padEnd(16)}${value}`);
    };
    lines.push(`  ${container.name}:`);
    field("Container ID", status?.containerID ?? "<none>");
    field("Image", container.image ?? status?.image ?? "");
    field("Image ID", status?.imageID || "<none>");
    const ports = container.ports ?? [];
    field("Port", ports.length === 0 ? "<none>" : ports.map((p) => `${p.containerPort}/${p.protocol ?? "TCP"}${p.name ? ` (${p.name})` : ""}`).join(", "));
    field("Host Port", ports.length === 0 ? "<none>" : ports.map((p) => `${p.hostPort ?? 0}/${p.protocol ?? "TCP"}`).join(", "));
    if ((container.command ?? []).length > 0) {
      lines.push("    Command:");
      for (const part of container.command ?? []) lines.push(`      ${part}`);
    }
    if ((container.args ?? []).length > 0) {
      lines.push("    Args:");
      for (const part of container.args ?? []) lines.push(`      ${part}`);
    }
    renderState(lines, "State", status?.state ?? {});
    if (status !== undefined && Object.keys(status.lastState).length > 0) renderState(lines, "Last State", status.lastState);
    field("Ready", status?.ready ? "True" : "False");
    field("Restart Count", String(status?.restartCount ?? 0));
    if (container.livenessProbe !== undefined) field("Liveness", describeProbe(container.livenessProbe));
    if (container.readinessProbe !== undefined) field("Readiness", describeProbe(container.readinessProbe));
    if (container.startupProbe !== undefined) field("Startup", describeProbe(container.startupProbe));
    if (container.lifecycle?.postStart?.exec !== undefined) field("PostStart", `exec ${JSON.stringify(container.lifecycle.postStart.exec.command)}`);
    if (container.lifecycle?.preStop?.exec !== undefined) field("PreStop", `exec ${JSON.stringify(container.lifecycle.preStop.exec.command)}`);
    const env = container.env ?? [];
    if (env.length === 0) {
      field("Environment", "<none>");
    } else {
      lines.push("    Environment:");
      for (const variable of env) {
        const value = variable.valueFrom?.fieldRef !== undefined ? `(${variable.valueFrom.fieldRef.fieldPath})` : (variable.value ?? "");
        lines.push(`      ${variable.name}:  ${value}`);
      }
    }
  }
}

function renderState(lines: string[], label: string, state: ContainerState): void {
  const line = (name: string, value: string, indent: number): void => {
    lines.push(`${" ".repeat(indent)}${`${name}:`.padEnd(indent === 4 ? 16 : 14)}${value}`);
  };
  if (state.running !== undefined) {
    line(label, "Running", 4);
    line("Started", state.running.startedAt ?? "<unknown>", 6);
  } else if (state.terminated !== undefined) {
    line(label, "Terminated", 4);
    if (state.terminated.reason) line("Reason", state.terminated.reason, 6);
    if (state.terminated.message) line("Message", state.terminated.message, 6);
    line("Exit Code", String(state.terminated.exitCode), 6);
    line("Started", state.terminated.startedAt ?? "<unknown>", 6);
    line("Finished", state.terminated.finishedAt ?? "<unknown>", 6);
  } else if (state.waiting !== undefined) {
    line(label, "Waiting", 4);
    if (state.waiting.reason) line("Reason", state.waiting.reason, 6);
    if (state.waiting.message) line("Message", state.waiting.message, 6);
  } else {
    line(label, "<unknown>", 4);
  }
}

/** Describes a probe as kubectl does: `http-get http://:8080/ delay=0s timeout=1s period=10s #success=1 #failure=3`. */
export function describeProbe(probe: SpecProbe): string {
  let action = "<unknown>";
  if (probe.exec !== undefined) action = `exec ${JSON.stringify(probe.exec.command)}`;
  else if (probe.httpGet !== undefined) {
    const scheme = (probe.httpGet.scheme ?? "HTTP").toLowerCase();
    action = `http-get ${scheme}://${probe.httpGet.host ?? ""}:${probe.httpGet.port}${probe.httpGet.path ?? "/"}`;
  } else if (probe.tcpSocket !== undefined) action = `tcp-socket ${probe.tcpSocket.host ?? ""}:${probe.tcpSocket.port}`;
  else if (probe.grpc !== undefined) action = `grpc <pod>:${probe.grpc.port} ${probe.grpc.service ?? ""}`.trimEnd();
  return (
    `${action} delay=${probe.initialDelaySeconds ?? 0}s timeout=${probe.timeoutSeconds ?? 1}s period=${probe.periodSeconds ?? 10}s ` +
    `#success=${probe.successThreshold ?? 1} #failure=${probe.failureThreshold ?? 3}`
  );
}

function keyValues(map: Record<string, string> | undefined, separator: string): string {
  // Sorted by code unit, as kubectl describe sorts label and annotation keys (Go sort.Strings).
  const entries = Object.entries(map ?? {}).sort(([a], [b]) => compareNames(a, b));
  if (entries.length === 0) return "<none>";
  return entries.map(([key, value], index) => `${index === 0 ? "" : " ".repeat(LABEL_WIDTH)}${key}${separator}${value}`).join("\n");
}

function eventAge(event: V1Event, nowMs: number): string {
  const last = formatAge(Date.parse(event.lastTimestamp), nowMs);
  if (event.count <= 1) return last;
  return `${last} (x${event.count} over ${formatAge(Date.parse(event.firstTimestamp), nowMs).replace(" ago", "")})`;
}
