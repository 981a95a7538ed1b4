/**
 * Reading the container fields of the Kubernetes format beyond names, images, commands, env and
 * ports: imagePullPolicy, volumeMounts, securityContext, resources, stdin, tty and the termination
 * message. Each is checked with Kubernetes' rules; a field is set on the result only when the
 * manifest sets it.
 */
import { isNull, quote, type DocumentReader, type Field, type Value } from "./document-reader.js";
import { fieldValue, NOT_SUPPORTED, requirePresent, UNKNOWN_FIELD } from "./pod-fields.js";
import type {
  Capabilities,
  ContainerSpecFields,
  MountPropagation,
  PullPolicy,
  ResourceAmounts,
  Resources,
  SeccompProfile,
  SecurityContext,
  TerminationMessagePolicy,
  VolumeMount,
} from "./pod-spec.js";
import {
  formatBytes,
  formatMillis,
  isNegative,
  parseQuantity,
  quantityMilliValue,
  quantityValue,
  type Quantity,
} from "./quantity.js";

/** Container fields this module reads. */
export const CONTAINER_SPEC_FIELDS: readonly string[] = [
  "imagePullPolicy",
  "volumeMounts",
  "securityContext",
  "resources",
  "stdin",
  "stdinOnce",
  "tty",
  "terminationMessagePath",
  "terminationMessagePolicy",
];

const PULL_POLICIES: readonly PullPolicy[] = ["Always", "IfNotPresent", "Never"];
const TERMINATION_MESSAGE_POLICIES: readonly TerminationMessagePolicy[] = ["File", "FallbackToLogsOnError"];
const MOUNT_PROPAGATIONS: readonly MountPropagation[] = ["None", "HostToContainer", "Bidirectional"];
const SECCOMP_TYPES: readonly SeccompProfile["type"][] = ["RuntimeDefault", "Unconfined", "Localhost"];

const VOLUME_MOUNT_FIELDS = new Set(["name", "mountPath", "readOnly", "subPath", "mountPropagation"]);
const VOLUME_MOUNT_DEFINED = new Set([...VOLUME_MOUNT_FIELDS, "subPathExpr", "recursiveReadOnly"]);
const SECURITY_CONTEXT_FIELDS = new Set([
  "runAsUser",
  "runAsGroup",
  "runAsNonRoot",
  "privileged",
  "capabilities",
  "readOnlyRootFilesystem",
  "allowPrivilegeEscalation",
  "seccompProfile",
]);
const SECURITY_CONTEXT_DEFINED = new Set([...SECURITY_CONTEXT_FIELDS, "procMount", "seLinuxOptions", "windowsOptions", "appArmorProfile"]);

/** Largest user or group ID Kubernetes accepts. */
const MAX_ID = 2_147_483_647;

/** Maximum length of terminationMessagePath in Kubernetes. */
const MAX_TERMINATION_MESSAGE_PATH = 4096;

/**
 * Reads the fields named in CONTAINER_SPEC_FIELDS of one container. Returns undefined when any of
 * them has an error.
 */
export function readContainerSpec(reader: DocumentReader, fields: Map<string, Field>, parent: Value): ContainerSpecFields | undefined {
  const mark = reader.problems.errors.length;
  const spec: ContainerSpecFields = {};

  const policyValue = fieldValue(fields, "imagePullPolicy", parent);
  const policy = readEnum(reader, policyValue, PULL_POLICIES);
  if (policy !== undefined) spec.imagePullPolicy = policy;

  const mounts = readVolumeMounts(reader, fieldValue(fields, "volumeMounts", parent));
  if (mounts !== undefined && mounts.length > 0) spec.volumeMounts = mounts;

  const securityContext = readSecurityContext(reader, fieldValue(fields, "securityContext", parent));
  if (securityContext !== undefined && Object.keys(securityContext).length > 0) spec.securityContext = securityContext;

  const resources = readResources(reader, fieldValue(fields, "resources", parent));
  if (resources !== undefined && Object.keys(resources).length > 0) spec.resources = resources;

  for (const name of ["stdin", "stdinOnce", "tty"] as const) {
    const flag = reader.boolean(fieldValue(fields, name, parent));
    if (flag) spec[name] = true;
  }

  const pathValue = fieldValue(fields, "terminationMessagePath", parent);
  const terminationMessagePath = reader.string(pathValue);
  if (terminationMessagePath !== undefined) {
    if (terminationMessagePath === "") reader.error(pathValue.at, pathValue.path, "must not be empty");
    else if (terminationMessagePath.length > MAX_TERMINATION_MESSAGE_PATH) {
      reader.error(pathValue.at, pathValue.path, `is ${terminationMessagePath.length} characters long; at most ${MAX_TERMINATION_MESSAGE_PATH} are allowed`);
    } else spec.terminationMessagePath = terminationMessagePath;
  }
  const messagePolicy = readEnum(reader, fieldValue(fields, "terminationMessagePolicy", parent), TERMINATION_MESSAGE_POLICIES);
  if (messagePolicy !== undefined) spec.terminationMessagePolicy = messagePolicy;

  checkMountPropagation(reader, fieldValue(fields, "volumeMounts", parent), spec);
  return reader.problems.errors.length > mark ? undefined : spec;
}

/** Reads a string that must be one of `allowed`; absent is undefined without an error. */
export function readEnum<T extends string>(reader: DocumentReader, value: Value, allowed: readonly T[]): T | undefined {
  const text = reader.string(value);
  if (text === undefined) return undefined;
  const known = allowed.find((candidate) => candidate === text);
  if (known === undefined) {
    const choices = allowed.length === 2 ? allowed.join(" or ") : `${allowed.slice(0, -1).join(", ")} or ${allowed.at(-1)}`;
    reader.error(value.at, value.path, `${quote(text)} is not supported; expected ${choices}`);
  }
  return known;
}

/** Reads a user or group ID: a whole number from 0 to 2147483647. */
export function readId(reader: DocumentReader, value: Value): number | undefined {
  const id = reader.integer(value);
  if (id === undefined) return undefined;
  if (id < 0 || id > MAX_ID) {
    reader.error(value.at, value.path, `${id} is out of range; expected 0-${MAX_ID}`);
    return undefined;
  }
  return id;
}

/** Warns about fields outside `defined`, or defined but not in `read`. */
export function warnOtherFields(reader: DocumentReader, fields: Map<string, Field>, defined: ReadonlySet<string>, read: ReadonlySet<string>): void {
  for (const field of fields.values()) {
    if (read.has(field.name)) continue;
    reader.warning(field.key, field.value.path, defined.has(field.name) ? NOT_SUPPORTED : UNKNOWN_FIELD);
  }
}

/** Reports whether a relative path has a ".." element, which Kubernetes rejects in subPath and similar fields. */
export function hasBackstep(path: string): boolean {
  return path.split("/").includes("..");
}

function readVolumeMounts(reader: DocumentReader, value: Value): VolumeMount[] | undefined {
  const items = reader.list(value);
  if (items === undefined) return undefined;
  const mounts: VolumeMount[] = [];
  const paths = new Map<string, string>();
  for (const item of items) {
    const fields = reader.fields(item);
    if (fields === undefined) continue;
    warnOtherFields(reader, fields, VOLUME_MOUNT_DEFINED, VOLUME_MOUNT_FIELDS);

    const nameValue = fieldValue(fields, "name", item);
    const name = requirePresent(reader, nameValue) ? reader.string(nameValue) : undefined;
    const pathValue = fieldValue(fields, "mountPath", item);
    const mountPath = requirePresent(reader, pathValue) ? reader.string(pathValue) : undefined;
    if (mountPath === "") reader.error(pathValue.at, pathValue.path, "must not be empty");
    if (mountPath) {
      const earlier = paths.get(mountPath);
      if (earlier !== undefined) reader.error(pathValue.at, pathValue.path, `${quote(mountPath)} is already mounted by ${earlier}; mount paths must be unique`);
      paths.set(mountPath, item.path);
    }

    const readOnly = reader.boolean(fieldValue(fields, "readOnly", item));
    const subPathValue = fieldValue(fields, "subPath", item);
    const subPath = reader.string(subPathValue);
    if (subPath?.startsWith("/")) reader.error(subPathValue.at, subPathValue.path, `${quote(subPath)} must be a relative path`);
    else if (subPath !== undefined && hasBackstep(subPath)) reader.error(subPathValue.at, subPathValue.path, `${quote(subPath)} must not contain '..'`);
    const propagation = readEnum(reader, fieldValue(fields, "mountPropagation", item), MOUNT_PROPAGATIONS);

    if (!name || !mountPath) continue;
    const mount: VolumeMount = { name, mountPath };
    if (readOnly) mount.readOnly = true;
    if (subPath) mount.subPath = subPath;
    if (propagation !== undefined) mount.mountPropagation = propagation;
    mounts.push(mount);
  }
  return mounts;
}

/** Kubernetes allows Bidirectional propagation only in privileged containers. */
function checkMountPropagation(reader: DocumentReader, value: Value, spec: ContainerSpecFields): void {
  if (spec.securityContext?.privileged) return;
  const items = reader.list(value) ?? [];
  spec.volumeMounts?.forEach((mount, index) => {
    if (mount.mountPropagation !== "Bidirectional") return;
    const item = items[index];
    const at = item === undefined ? value : (reader.fields(item)?.get("mountPropagation")?.value ?? item);
    reader.error(at.at, at.path, "Bidirectional mount propagation is available only to privileged containers");
  });
}

/** Reads a container's securityContext. */
export function readSecurityContext(reader: DocumentReader, value: Value): SecurityContext | undefined {
  const fields = reader.fields(value);
  if (fields === undefined) return undefined;
  warnOtherFields(reader, fields, SECURITY_CONTEXT_DEFINED, SECURITY_CONTEXT_FIELDS);
  const context: SecurityContext = {};

  const runAsUser = readId(reader, fieldValue(fields, "runAsUser", value));
  if (runAsUser !== undefined) context.runAsUser = runAsUser;
  const runAsGroup = readId(reader, fieldValue(fields, "runAsGroup", value));
  if (runAsGroup !== undefined) context.runAsGroup = runAsGroup;
  for (const name of ["runAsNonRoot", "privileged", "readOnlyRootFilesystem", "allowPrivilegeEscalation"] as const) {
    const flag = reader.boolean(fieldValue(fields, name, value));
    if (flag !== undefined) context[name] = flag;
  }

  const capabilities = readCapabilities(reader, fieldValue(fields, "capabilities", value));
  if (capabilities !== undefined) context.capabilities = capabilities;
  const seccomp = readSeccompProfile(reader, fieldValue(fields, "seccompProfile", value));
  if (seccomp !== undefined) context.seccompProfile = seccomp;

  const escalationValue = fieldValue(fields, "allowPrivilegeEscalation", value);
  if (context.allowPrivilegeEscalation === false) {
    if (context.privileged) {
      reader.error(escalationValue.at, escalationValue.path, "cannot be false when privileged is true");
    }
    if (capabilities?.add?.some((name) => name === "SYS_ADMIN" || name === "CAP_SYS_ADMIN")) {
      reader.error(escalationValue.at, escalationValue.path, "cannot be false when capabilities.add has SYS_ADMIN");
    }
  }
  if (context.runAsNonRoot === true && context.runAsUser === 0) {
    const at = fieldValue(fields, "runAsUser", value);
    reader.warning(at.at, at.path, "runAsUser 0 breaks runAsNonRoot, so the container will not be created");
  }
  return context;
}

function readCapabilities(reader: DocumentReader, value: Value): Capabilities | undefined {
  if (isNull(value)) return undefined;
  const fields = reader.fields(value);
  if (fields === undefined) return undefined;
  warnOtherFields(reader, fields, new Set(["add", "drop"]), new Set(["add", "drop"]));
  const capabilities: Capabilities = {};
  for (const name of ["add", "drop"] as const) {
    const listValue = fieldValue(fields, name, value);
    const list = reader.stringList(listValue);
    if (list === undefined || list.length === 0) continue;
    // containerd adds the CAP_ prefix itself, so a name that already has it becomes CAP_CAP_... and fails.
    (reader.list(listValue) ?? []).forEach((item, index) => {
      if (list[index]?.toUpperCase().startsWith("CAP_")) {
        reader.warning(item.at, item.path, `${quote(list[index] ?? "")} should be written without the CAP_ prefix, as Kubernetes names capabilities`);
      }
    });
    capabilities[name] = list;
  }
  return Object.keys(capabilities).length > 0 ? capabilities : undefined;
}

/** Reads a seccompProfile of a container or pod securityContext. */
export function readSeccompProfile(reader: DocumentReader, value: Value): SeccompProfile | undefined {
  if (isNull(value)) return undefined;
  const fields = reader.fields(value);
  if (fields === undefined) return undefined;
  warnOtherFields(reader, fields, new Set(["type", "localhostProfile"]), new Set(["type", "localhostProfile"]));

  const typeValue = fieldValue(fields, "type", value);
  if (!requirePresent(reader, typeValue)) return undefined;
  const type = readEnum(reader, typeValue, SECCOMP_TYPES);
  const localValue = fieldValue(fields, "localhostProfile", value);
  const localhostProfile = reader.string(localValue);
  if (type === undefined) return undefined;

  if (type === "Localhost") {
    if (!localhostProfile) {
      reader.error(localValue.at, localValue.path, "required when type is Localhost");
      return undefined;
    }
    if (localhostProfile.startsWith("/") || hasBackstep(localhostProfile)) {
      reader.error(localValue.at, localValue.path, `${quote(localhostProfile)} must be a relative path without '..'`);
      return undefined;
    }
    return { type, localhostProfile };
  }
  if (localhostProfile !== undefined) {
    reader.error(localValue.at, localValue.path, "can only be set when type is Localhost");
    return undefined;
  }
  return { type };
}

/** Reads `resources`: cpu and memory are kept, other resources are accepted with a warning. */
function readResources(reader: DocumentReader, value: Value): Resources | undefined {
  const fields = reader.fields(value);
  if (fields === undefined) return undefined;
  warnOtherFields(reader, fields, new Set(["requests", "limits", "claims"]), new Set(["requests", "limits"]));

  const requestsValue = fieldValue(fields, "requests", value);
  const limitsValue = fieldValue(fields, "limits", value);
  const requests = readResourceList(reader, requestsValue);
  const limits = readResourceList(reader, limitsValue);
  if (requests === undefined || limits === undefined) return undefined;

  // A request above its limit is invalid; a request left out takes the limit, as Kubernetes defaults it.
  const requestFields = reader.fields(requestsValue) ?? new Map<string, Field>();
  for (const [key, resource, format] of [
    ["cpuMillis", "cpu", formatMillis],
    ["memoryBytes", "memory", formatBytes],
  ] as const) {
    const limit = limits[key];
    const request = requests[key];
    if (limit === undefined) continue;
    if (request === undefined) requests[key] = limit;
    else if (request > limit) {
      const at = requestFields.get(resource)?.value ?? requestsValue;
      reader.error(at.at, `${requestsValue.path}[${resource}]`, `must be less than or equal to ${resource} limit of ${format(limit)}`);
      return undefined;
    }
  }

  const resources: Resources = {};
  if (Object.keys(requests).length > 0) resources.requests = requests;
  if (Object.keys(limits).length > 0) resources.limits = limits;
  return resources;
}

function readResourceList(reader: DocumentReader, value: Value): ResourceAmounts | undefined {
  const fields = reader.fields(value);
  if (fields === undefined) return undefined;
  const amounts: ResourceAmounts = {};
  let ok = true;
  for (const field of fields.values()) {
    const keyed: Value = { ...field.value, path: `${value.path}[${field.name}]` };
    const quantity = readQuantity(reader, keyed);
    if (quantity === undefined) {
      ok = false;
      continue;
    }
    if (field.name === "cpu") amounts.cpuMillis = Number(quantityMilliValue(quantity));
    else if (field.name === "memory") amounts.memoryBytes = Number(quantityValue(quantity));
    else reader.warning(field.key, keyed.path, `resource ${quote(field.name)} is not enforced by tinylet; only cpu and memory are`);
  }
  return ok ? amounts : undefined;
}

/** Reads a quantity written as a string or a number; negative quantities are errors. */
export function readQuantity(reader: DocumentReader, value: Value): Quantity | undefined {
  const node = value.node as { value?: unknown } | null;
  const raw = typeof node?.value === "number" ? String(node.value) : reader.string(value);
  if (raw === undefined) {
    if (isNull(value)) reader.typeError(value, "a quantity");
    return undefined;
  }
  const quantity = parseQuantity(raw);
  if (typeof quantity === "string") {
    reader.error(value.at, value.path, quantity);
    return undefined;
  }
  if (isNegative(quantity)) {
    reader.error(value.at, value.path, `${quote(raw)} must be greater than or equal to 0`);
    return undefined;
  }
  const bytes = quantityValue(quantity);
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) {
    reader.error(value.at, value.path, `${quote(raw)} is too large`);
    return undefined;
  }
  return quantity;
}
