/**
 * Reading a container's probes (`livenessProbe`, `readinessProbe`, `startupProbe`) and `lifecycle`
 * hooks, checked with Kubernetes' rules and filled with Kubernetes' defaults.
 */
import { isScalar } from "yaml";

import { isNull, quote, type DocumentReader, type Field, type Value } from "./document-reader.js";
import type { ContainerPort } from "./pod.js";
import { fieldValue, NOT_SUPPORTED, UNKNOWN_FIELD } from "./pod-fields.js";
import {
  PROBE_DEFAULTS,
  type ContainerProbes,
  type GRPCAction,
  type HTTPGetAction,
  type HTTPHeader,
  type Lifecycle,
  type LifecycleHandler,
  type Probe,
  type ProbeType,
  type TCPSocketAction,
} from "./probe.js";
import { checkPortName } from "./validate.js";

/** Container fields this module reads. */
export const PROBE_CONTAINER_FIELDS = ["livenessProbe", "readinessProbe", "startupProbe", "lifecycle"] as const;

const PROBE_FIELDS = new Set([
  "exec",
  "httpGet",
  "tcpSocket",
  "grpc",
  "initialDelaySeconds",
  "periodSeconds",
  "timeoutSeconds",
  "successThreshold",
  "failureThreshold",
  "terminationGracePeriodSeconds",
]);
const ACTIONS = ["exec", "httpGet", "tcpSocket", "grpc"] as const;
const HANDLER_FIELDS = new Set(["exec", "httpGet", "tcpSocket", "sleep"]);

/**
 * Reads the probe and lifecycle fields of one container; `ports` are the container's ports, which a
 * probe may name. Returns undefined when any of them has an error.
 */
export function readContainerProbes(
  reader: DocumentReader,
  fields: Map<string, Field>,
  parent: Value,
  ports: readonly ContainerPort[],
): ContainerProbes | undefined {
  const mark = reader.problems.errors.length;
  const result: ContainerProbes = {};

  const probeTypes: [keyof ContainerProbes & `${ProbeType}Probe`, ProbeType][] = [
    ["livenessProbe", "liveness"],
    ["readinessProbe", "readiness"],
    ["startupProbe", "startup"],
  ];
  for (const [name, type] of probeTypes) {
    const value = fieldValue(fields, name, parent);
    if (isNull(value)) continue;
    const probe = readProbe(reader, value, type, ports);
    if (probe !== undefined) result[name] = probe;
  }

  const lifecycleValue = fieldValue(fields, "lifecycle", parent);
  if (!isNull(lifecycleValue)) {
    const lifecycle = readLifecycle(reader, lifecycleValue);
    if (lifecycle !== undefined && (lifecycle.postStart !== undefined || lifecycle.preStop !== undefined)) {
      result.lifecycle = lifecycle;
    }
  }

  return reader.problems.errors.length > mark ? undefined : result;
}

function readProbe(reader: DocumentReader, value: Value, type: ProbeType, ports: readonly ContainerPort[]): Probe | undefined {
  const fields = reader.fields(value);
  if (fields === undefined) return undefined;
  const mark = reader.problems.errors.length;
  for (const field of fields.values()) {
    if (!PROBE_FIELDS.has(field.name)) reader.warning(field.key, field.value.path, UNKNOWN_FIELD);
  }

  const probe: Probe = {
    initialDelaySeconds: readCount(reader, fieldValue(fields, "initialDelaySeconds", value), 0, PROBE_DEFAULTS.initialDelaySeconds),
    periodSeconds: readCount(reader, fieldValue(fields, "periodSeconds", value), 1, PROBE_DEFAULTS.periodSeconds),
    timeoutSeconds: readCount(reader, fieldValue(fields, "timeoutSeconds", value), 1, PROBE_DEFAULTS.timeoutSeconds),
    successThreshold: readCount(reader, fieldValue(fields, "successThreshold", value), 1, PROBE_DEFAULTS.successThreshold),
    failureThreshold: readCount(reader, fieldValue(fields, "failureThreshold", value), 1, PROBE_DEFAULTS.failureThreshold),
  };

  const successValue = fieldValue(fields, "successThreshold", value);
  if (type !== "readiness" && probe.successThreshold !== 1) {
    reader.error(successValue.at, successValue.path, `${probe.successThreshold} is not allowed; a ${type} probe's successThreshold must be 1`);
  }

  const graceValue = fieldValue(fields, "terminationGracePeriodSeconds", value);
  if (!isNull(graceValue)) {
    const grace = reader.integer(graceValue);
    if (type === "readiness") {
      reader.error(graceValue.at, graceValue.path, "not allowed on a readiness probe, which never stops the container");
    } else if (grace !== undefined && grace < 1) {
      reader.error(graceValue.at, graceValue.path, `${grace} is too small; expected 1 or more seconds`);
    } else if (grace !== undefined) {
      probe.terminationGracePeriodSeconds = grace;
    }
  }

  const present = ACTIONS.filter((action) => !isNull(fieldValue(fields, action, value)));
  if (present.length !== 1) {
    const detail = present.length === 0 ? "no action" : `${present.length} actions (${present.join(", ")})`;
    reader.error(value.at, value.path, `${detail}; a probe needs exactly one of exec, httpGet, tcpSocket or grpc`);
    return undefined;
  }

  switch (present[0]) {
    case "exec": {
      const exec = readExec(reader, fieldValue(fields, "exec", value));
      if (exec !== undefined) probe.exec = exec;
      break;
    }
    case "httpGet": {
      const httpGet = readHttpGet(reader, fieldValue(fields, "httpGet", value), ports);
      if (httpGet !== undefined) probe.httpGet = httpGet;
      break;
    }
    case "tcpSocket": {
      const tcpSocket = readTcpSocket(reader, fieldValue(fields, "tcpSocket", value), ports);
      if (tcpSocket !== undefined) probe.tcpSocket = tcpSocket;
      break;
    }
    case "grpc": {
      const grpc = readGrpc(reader, fieldValue(fields, "grpc", value));
      if (grpc !== undefined) probe.grpc = grpc;
      break;
    }
  }
  return reader.problems.errors.length > mark ? undefined : probe;
}

/** Reads a whole number of at least `min`; absent gives `fallback`. Errors are recorded and give `fallback`. */
function readCount(reader: DocumentReader, value: Value, min: number, fallback: number): number {
  const count = reader.integer(value);
  if (count === undefined) return fallback;
  if (count < min) {
    reader.error(value.at, value.path, `${count} is too small; expected ${min} or more`);
    return fallback;
  }
  return count;
}

function readExec(reader: DocumentReader, value: Value): { command: string[] } | undefined {
  const fields = reader.fields(value);
  if (fields === undefined) return undefined;
  reportOthers(reader, fields, new Set(["command"]));
  const commandValue = fieldValue(fields, "command", value);
  const command = reader.stringList(commandValue);
  if (command === undefined) return undefined;
  if (command.length === 0) {
    reader.error(commandValue.at, commandValue.path, "required; give the command to run in the container");
    return undefined;
  }
  return { command };
}

function readHttpGet(reader: DocumentReader, value: Value, ports: readonly ContainerPort[]): HTTPGetAction | undefined {
  const fields = reader.fields(value);
  if (fields === undefined) return undefined;
  reportOthers(reader, fields, new Set(["path", "port", "host", "scheme", "httpHeaders"]));
  const mark = reader.problems.errors.length;

  const port = readProbePort(reader, fieldValue(fields, "port", value), ports);
  const path = reader.string(fieldValue(fields, "path", value)) ?? "";
  const host = reader.string(fieldValue(fields, "host", value)) ?? "";

  const schemeValue = fieldValue(fields, "scheme", value);
  const scheme = reader.string(schemeValue) ?? "HTTP";
  if (scheme !== "HTTP" && scheme !== "HTTPS") {
    reader.error(schemeValue.at, schemeValue.path, `${quote(scheme)} is not supported; expected HTTP or HTTPS`);
  }

  const httpHeaders: HTTPHeader[] = [];
  for (const item of reader.list(fieldValue(fields, "httpHeaders", value)) ?? []) {
    const header = reader.fields(item);
    if (header === undefined) continue;
    reportOthers(reader, header, new Set(["name", "value"]));
    const nameValue = fieldValue(header, "name", item);
    const name = reader.string(nameValue);
    if (!name || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      reader.error(nameValue.at, nameValue.path, `${name ? quote(name) : "an empty name"} is not a valid HTTP header name`);
      continue;
    }
    httpHeaders.push({ name, value: reader.string(fieldValue(header, "value", item)) ?? "" });
  }

  if (reader.problems.errors.length > mark || port === undefined) return undefined;
  const action: HTTPGetAction = { path: path === "" ? "/" : path, port, scheme: scheme as HTTPGetAction["scheme"], httpHeaders };
  if (host) action.host = host;
  return action;
}

function readTcpSocket(reader: DocumentReader, value: Value, ports: readonly ContainerPort[]): TCPSocketAction | undefined {
  const fields = reader.fields(value);
  if (fields === undefined) return undefined;
  reportOthers(reader, fields, new Set(["port", "host"]));
  const port = readProbePort(reader, fieldValue(fields, "port", value), ports);
  const host = reader.string(fieldValue(fields, "host", value)) ?? "";
  if (port === undefined) return undefined;
  return host ? { port, host } : { port };
}

function readGrpc(reader: DocumentReader, value: Value): GRPCAction | undefined {
  const fields = reader.fields(value);
  if (fields === undefined) return undefined;
  reportOthers(reader, fields, new Set(["port", "service"]));
  const portValue = fieldValue(fields, "port", value);
  if (isNull(portValue)) {
    reader.error(portValue.at, portValue.path, "required");
    return undefined;
  }
  const port = reader.integer(portValue);
  if (port === undefined) return undefined;
  if (port < 1 || port > 65535) {
    reader.error(portValue.at, portValue.path, `${port} is out of range; expected 1-65535`);
    return undefined;
  }
  const service = reader.string(fieldValue(fields, "service", value));
  return service ? { port, service } : { port };
}

/**
 * Reads a probe port: a number in 1..65535, or the name of one of the container's ports. Kubernetes
 * accepts any valid name and lets the probe fail later; a name no port has is reported here instead.
 */
function readProbePort(reader: DocumentReader, value: Value, ports: readonly ContainerPort[]): number | string | undefined {
  if (isNull(value)) {
    reader.error(value.at, value.path, "required; give a port number or the name of a container port");
    return undefined;
  }
  if (isScalar(value.node) && typeof value.node.value === "string") {
    const name = value.node.value;
    const problem = checkPortName(name);
    if (problem !== undefined) {
      reader.error(value.at, value.path, problem);
      return undefined;
    }
    if (!ports.some((port) => port.name === name)) {
      const names = ports.map((port) => port.name).filter((portName) => portName !== undefined);
      const known = names.length === 0 ? "the container has no named ports" : `its named ports: ${names.join(", ")}`;
      reader.error(value.at, value.path, `no container port is named ${quote(name)}; ${known}`);
      return undefined;
    }
    return name;
  }
  const port = reader.integer(value);
  if (port === undefined) return undefined;
  if (port < 1 || port > 65535) {
    reader.error(value.at, value.path, `${port} is out of range; expected 1-65535`);
    return undefined;
  }
  return port;
}

function readLifecycle(reader: DocumentReader, value: Value): Lifecycle | undefined {
  const fields = reader.fields(value);
  if (fields === undefined) return undefined;
  const mark = reader.problems.errors.length;
  const lifecycle: Lifecycle = {};
  for (const field of fields.values()) {
    const hook = field.name === "postStart" || field.name === "preStop" ? field.name : undefined;
    if (hook === undefined) {
      reader.warning(field.key, field.value.path, field.name === "stopSignal" ? NOT_SUPPORTED : UNKNOWN_FIELD);
      continue;
    }
    const handler = readHandler(reader, field.value);
    if (handler !== undefined) lifecycle[hook] = handler;
  }
  return reader.problems.errors.length > mark ? undefined : lifecycle;
}

/** Reads a hook; only exec hooks run, and other kinds are reported and left out. */
function readHandler(reader: DocumentReader, value: Value): LifecycleHandler | undefined {
  const fields = reader.fields(value);
  if (fields === undefined) return undefined;
  const present = [...fields.values()].filter((field) => HANDLER_FIELDS.has(field.name) && !isNull(field.value));
  for (const field of fields.values()) {
    if (!HANDLER_FIELDS.has(field.name)) reader.warning(field.key, field.value.path, UNKNOWN_FIELD);
  }
  if (present.length !== 1) {
    const detail = present.length === 0 ? "no action" : `${present.length} actions`;
    reader.error(value.at, value.path, `${detail}; a lifecycle hook needs exactly one of exec, httpGet, tcpSocket or sleep`);
    return undefined;
  }
  const [field] = present as [Field];
  if (field.name !== "exec") {
    reader.warning(field.key, field.value.path, `${NOT_SUPPORTED}; only exec hooks run, so this hook does nothing`);
    return undefined;
  }
  const exec = readExec(reader, field.value);
  return exec === undefined ? undefined : { exec };
}

function reportOthers(reader: DocumentReader, fields: Map<string, Field>, known: ReadonlySet<string>): void {
  for (const field of fields.values()) {
    if (!known.has(field.name)) reader.warning(field.key, field.value.path, UNKNOWN_FIELD);
  }
}
