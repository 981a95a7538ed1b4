/**
 * Reading and checking a pod's container list. Both formats use the same container fields; they
 * differ only in how a field that tinylet does not read is reported.
 */
import { isNull, quote, type DocumentReader, type Field, type Value } from "./document-reader.js";
import { CONTAINER_FIELDS, CONTAINER_PORT_FIELDS, ENV_VAR_FIELDS } from "./kubernetes-fields.js";
import { MAX_CONTAINERS } from "./limits.js";
import type { Container, ContainerPort, EnvVar, PortProtocol } from "./pod.js";
import { fieldValue, NOT_SUPPORTED, requirePresent, UNKNOWN_FIELD } from "./pod-fields.js";
import { PROBE_CONTAINER_FIELDS, readContainerProbes } from "./probe-fields.js";
import { CONTAINER_SPEC_FIELDS, readContainerSpec } from "./container-spec.js";
import { readEnvFrom, readEnvValueFrom, type EnvSource } from "./env-source.js";
import { checkDns1123Label, checkEnvName, checkHostIP, checkImage, checkPortName } from "./validate.js";

/** Manifest format being read: Kubernetes' `apiVersion: v1, kind: Pod`, or tinylet's small format. */
export type ManifestFormat = "kubernetes" | "small";

const CONTAINER_FIELDS_READ = new Set(["name", "image", "command", "args", "workingDir", "env", "ports"]);
/** Fields only the Kubernetes format reads; the small format reports them as unknown. */
const KUBERNETES_CONTAINER_FIELDS_READ: ReadonlySet<string> = new Set([...PROBE_CONTAINER_FIELDS, ...CONTAINER_SPEC_FIELDS, "envFrom"]);

/** Which list a container belongs to: `containers`, or `initContainers`, which run first and one at a time. */
export type ContainerKind = "container" | "init";
const PORT_PROTOCOLS: readonly PortProtocol[] = ["TCP", "UDP", "SCTP"];

/** A container read from the document, with the nodes that later pod-wide checks report at. */
interface ReadContainer {
  container: Container;
  value: Value;
  nameValue: Value;
  portValues: Value[];
}

/**
 * Reads `containers`: required, 1 to MAX_CONTAINERS entries, unique names, and host ports that no
 * two containers of the pod claim twice. With hostNetwork the host port defaults to the container
 * port and must equal it, as in Kubernetes.
 *
 * With `kind` "init" it reads `initContainers` instead: optional, each checked for host port
 * conflicts on its own since they run one at a time, and without probes or lifecycle hooks.
 * `names` holds the container names read so far with their paths, since names are unique across
 * both lists.
 */
export function readContainers(
  reader: DocumentReader,
  value: Value,
  format: ManifestFormat,
  hostNetwork: boolean,
  kind: ContainerKind = "container",
  names: Map<string, string> = new Map(),
): Container[] | undefined {
  if (kind === "container" && !requirePresent(reader, value, "; a pod needs at least one container")) return undefined;
  const items = reader.list(value);
  if (items === undefined) return undefined;
  if (items.length === 0 && kind === "container") {
    reader.error(value.at, value.path, "at least one container is required");
    return undefined;
  }
  if (items.length > MAX_CONTAINERS) {
    reader.error(value.at, value.path, `${items.length} containers; at most ${MAX_CONTAINERS} are allowed`);
    return undefined;
  }

  const mark = reader.problems.errors.length;
  const read: ReadContainer[] = [];
  for (const item of items) {
    if (kind === "init" && !checkInitContainer(reader, item)) continue;
    const container = readContainer(reader, item, format, hostNetwork);
    if (container !== undefined) read.push(container);
  }

  checkUniqueNames(reader, read, names);
  if (kind === "init") read.forEach((entry) => checkUniqueHostPorts(reader, [entry]));
  else checkUniqueHostPorts(reader, read);

  if (reader.problems.errors.length > mark) return undefined;
  return read.map((entry) => entry.container);
}

function readContainer(
  reader: DocumentReader,
  value: Value,
  format: ManifestFormat,
  hostNetwork: boolean,
): ReadContainer | undefined {
  if (isNull(value)) {
    reader.typeError(value, "a map");
    return undefined;
  }
  const fields = reader.fields(value);
  if (fields === undefined) return undefined;
  const mark = reader.problems.errors.length;
  reportOtherContainerFields(reader, fields, format);

  const nameValue = fieldValue(fields, "name", value);
  let name: string | undefined;
  if (requirePresent(reader, nameValue)) {
    name = reader.string(nameValue);
    const problem = name === undefined ? undefined : checkDns1123Label(name);
    if (problem !== undefined) reader.error(nameValue.at, nameValue.path, problem);
  }

  const imageValue = fieldValue(fields, "image", value);
  let image: string | undefined;
  if (requirePresent(reader, imageValue)) {
    image = reader.string(imageValue);
    const problem = image === undefined ? undefined : checkImage(image);
    if (problem !== undefined) reader.error(imageValue.at, imageValue.path, problem);
  }

  const command = reader.stringList(fieldValue(fields, "command", value));
  const args = reader.stringList(fieldValue(fields, "args", value));
  const workingDir = reader.string(fieldValue(fields, "workingDir", value));
  const env = readEnv(reader, fieldValue(fields, "env", value));
  const portValues: Value[] = [];
  const ports = readPorts(reader, fieldValue(fields, "ports", value), hostNetwork, portValues);
  const probes = format === "kubernetes" ? readContainerProbes(reader, fields, value, ports ?? []) : {};
  const spec = format === "kubernetes" ? readContainerSpec(reader, fields, value) : {};
  if (format === "kubernetes") readEnvFrom(reader, fieldValue(fields, "envFrom", value));

  if (reader.problems.errors.length > mark) return undefined;
  if (name === undefined || image === undefined || command === undefined || args === undefined) return undefined;
  if (env === undefined || ports === undefined) return undefined;

  const container: Container = { name, image, command, args, env, ports, ...probes, ...spec };
  if (workingDir) container.workingDir = workingDir;
  return { container, value, nameValue, portValues };
}

function reportOtherContainerFields(reader: DocumentReader, fields: Map<string, Field>, format: ManifestFormat): void {
  for (const field of fields.values()) {
    if (CONTAINER_FIELDS_READ.has(field.name)) continue;
    if (format === "kubernetes" && KUBERNETES_CONTAINER_FIELDS_READ.has(field.name)) continue;
    if (format === "small") {
      reader.warning(
        field.key,
        field.value.path,
        "unknown field; a small-format container has name, image, command, args, workingDir, env and ports",
      );
    } else if (CONTAINER_FIELDS.has(field.name)) {
      reader.warning(field.key, field.value.path, NOT_SUPPORTED);
    } else {
      reader.warning(field.key, field.value.path, UNKNOWN_FIELD);
    }
  }
}

/** Reads `env`: literal values only; `valueFrom` is reported and its variable left unset. */
function readEnv(reader: DocumentReader, value: Value): EnvVar[] | undefined {
  const items = reader.list(value);
  if (items === undefined) return undefined;

  const mark = reader.problems.errors.length;
  const env: EnvVar[] = [];
  const seen = new Map<string, string>();
  for (const item of items) {
    const fields = reader.fields(item);
    if (fields === undefined) continue;
    reportUnknownFields(reader, fields, ENV_VAR_FIELDS, new Set(["name", "value", "valueFrom"]));

    const nameValue = fieldValue(fields, "name", item);
    if (!requirePresent(reader, nameValue)) continue;
    const name = reader.string(nameValue);
    if (name === undefined) continue;
    const problem = checkEnvName(name);
    if (problem !== undefined) {
      reader.error(nameValue.at, nameValue.path, problem);
      continue;
    }

    const valueFrom = fields.get("valueFrom");
    const literal = reader.string(fieldValue(fields, "value", item));
    let source: EnvSource = "unset";
    if (valueFrom !== undefined && !isNull(valueFrom.value)) {
      source = readEnvValueFrom(reader, valueFrom.value, name, literal);
      if (source === undefined || source === "unset") continue;
    }

    const earlier = seen.get(name);
    if (earlier !== undefined) {
      reader.warning(nameValue.at, nameValue.path, `duplicate variable ${name} (also set by ${earlier}); the later value is used`);
    }
    seen.set(name, item.path);
    env.push(source === "unset" ? { name, value: literal ?? "" } : { name, value: "", ...source });
  }
  return reader.problems.errors.length > mark ? undefined : env;
}

/** Reads `ports`; appends the value of each port to `portValues` for pod-wide checks. */
function readPorts(reader: DocumentReader, value: Value, hostNetwork: boolean, portValues: Value[]): ContainerPort[] | undefined {
  const items = reader.list(value);
  if (items === undefined) return undefined;

  const mark = reader.problems.errors.length;
  const ports: ContainerPort[] = [];
  const names = new Map<string, string>();
  for (const item of items) {
    const fields = reader.fields(item);
    if (fields === undefined) continue;
    reportUnknownFields(reader, fields, CONTAINER_PORT_FIELDS, CONTAINER_PORT_FIELDS);

    const containerPortValue = fieldValue(fields, "containerPort", item);
    const containerPort = requirePresent(reader, containerPortValue)
      ? readPortNumber(reader, containerPortValue, 1)
      : undefined;
    const hostPortValue = fieldValue(fields, "hostPort", item);
    let hostPort = readPortNumber(reader, hostPortValue, 0);
    const protocol = readProtocol(reader, fieldValue(fields, "protocol", item));

    const nameValue = fieldValue(fields, "name", item);
    const name = reader.string(nameValue);
    if (name) {
      const problem = checkPortName(name);
      const earlier = names.get(name);
      if (problem !== undefined) reader.error(nameValue.at, nameValue.path, problem);
      else if (earlier !== undefined) {
        reader.error(nameValue.at, nameValue.path, `duplicate port name ${quote(name)}; ${earlier} already uses it`);
      }
      names.set(name, item.path);
    }

    const hostIPValue = fieldValue(fields, "hostIP", item);
    const hostIP = reader.string(hostIPValue);
    if (hostIP) {
      const problem = checkHostIP(hostIP);
      if (problem !== undefined) reader.error(hostIPValue.at, hostIPValue.path, problem);
    }

    if (containerPort === undefined || protocol === undefined) continue;
    if (hostNetwork) {
      if (!hostPort) hostPort = containerPort;
      else if (hostPort !== containerPort) {
        reader.error(
          hostPortValue.at,
          hostPortValue.path,
          `${hostPort} must equal containerPort (${containerPort}) when hostNetwork is true`,
        );
        continue;
      }
    }

    const port: ContainerPort = { containerPort, protocol };
    if (name) port.name = name;
    if (hostPort) port.hostPort = hostPort;
    if (hostIP) port.hostIP = hostIP;
    ports.push(port);
    portValues.push(item);
  }
  return reader.problems.errors.length > mark ? undefined : ports;
}

/** Reads a port number in `min`..65535; absent is undefined without an error. */
function readPortNumber(reader: DocumentReader, value: Value, min: number): number | undefined {
  const port = reader.integer(value);
  if (port === undefined) return undefined;
  if (port < min || port > 65535) {
    reader.error(value.at, value.path, `${port} is out of range; expected ${min}-65535`);
    return undefined;
  }
  return port;
}

function readProtocol(reader: DocumentReader, value: Value): PortProtocol | undefined {
  const protocol = reader.string(value);
  if (protocol === undefined) return isNull(value) ? "TCP" : undefined;
  const known = PORT_PROTOCOLS.find((candidate) => candidate === protocol);
  if (known === undefined) {
    reader.error(value.at, value.path, `${quote(protocol)} is not supported; expected TCP, UDP or SCTP`);
  }
  return known;
}

/** Warns about fields outside `defined`, or defined but not in `read`. */
function reportUnknownFields(
  reader: DocumentReader,
  fields: Map<string, Field>,
  defined: ReadonlySet<string>,
  read: ReadonlySet<string>,
): void {
  for (const field of fields.values()) {
    if (read.has(field.name)) continue;
    reader.warning(field.key, field.value.path, defined.has(field.name) ? NOT_SUPPORTED : UNKNOWN_FIELD);
  }
}

function checkUniqueNames(reader: DocumentReader, read: ReadContainer[], firstByName: Map<string, string>): void {
  for (const { container, value, nameValue } of read) {
    const earlier = firstByName.get(container.name);
    if (earlier === undefined) {
      firstByName.set(container.name, value.path);
      continue;
    }
    reader.error(
      nameValue.at,
      nameValue.path,
      `duplicate container name ${quote(container.name)}; ${earlier} already uses it, and names must be unique within a pod`,
    );
  }
}

/** Reports a host port (with its protocol and host IP) that an earlier port of the pod already claims. */
function checkUniqueHostPorts(reader: DocumentReader, read: ReadContainer[]): void {
  const claimed = new Map<string, string>();
  for (const { container, portValues } of read) {
    container.ports.forEach((port, index) => {
      if (!port.hostPort) return;
      const portValue = portValues[index];
      if (portValue === undefined) return;
      const key = `${port.protocol}/${port.hostIP ?? ""}/${port.hostPort}`;
      const earlier = claimed.get(key);
      if (earlier === undefined) {
        claimed.set(key, portValue.path);
        return;
      }
      const where = port.hostIP ? ` on ${port.hostIP}` : "";
      reader.error(
        portValue.at,
        `${portValue.path}.hostPort`,
        `host port ${port.hostPort}/${port.protocol}${where} is already used by ${earlier}`,
      );
    });
  }
}

/**
 * Reports the fields Kubernetes forbids on an init container: probes and lifecycle hooks, which
 * need restartPolicy Always, and that policy itself (a sidecar), which tinylet does not run yet.
 * Returns whether the container can be read.
 */
function checkInitContainer(reader: DocumentReader, value: Value): boolean {
  const fields = reader.fields(value);
  if (fields === undefined) return false;
  const mark = reader.problems.errors.length;
  const policy = fields.get("restartPolicy");
  if (policy !== undefined && !isNull(policy.value)) {
    reader.error(
      policy.key,
      policy.value.path,
      "init containers with a restartPolicy (sidecar containers) are not supported by tinylet yet; run the sidecar as an ordinary container",
    );
  }
  for (const name of PROBE_CONTAINER_FIELDS) {
    const field = fields.get(name);
    if (field === undefined || isNull(field.value)) continue;
    reader.error(field.key, field.value.path, "may not be set for init containers without restartPolicy=Always");
  }
  return reader.problems.errors.length === mark;
}
