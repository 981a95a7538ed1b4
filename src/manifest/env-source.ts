/**
 * `env[].valueFrom` and `envFrom`. A static pod has no API server behind it, so references to
 * ConfigMaps and Secrets are rejected; field references to the pod itself are kept and resolved
 * when the container is created.
 */
import { isNull, quote, type DocumentReader, type Value } from "./document-reader.js";
import { fieldValue, NOT_SUPPORTED, requirePresent } from "./pod-fields.js";
import { readEnum, readQuantity, warnOtherFields } from "./container-spec.js";
import type { ResourceFieldRef } from "./pod-spec.js";
import { quantityMilliValue, quantityValue } from "./quantity.js";

/** Field paths that `valueFrom.fieldRef` may name, besides `metadata.labels['KEY']` and `metadata.annotations['KEY']`. */
export const ENV_FIELD_PATHS: readonly string[] = [
  "metadata.name",
  "metadata.namespace",
  "metadata.uid",
  "spec.nodeName",
  "spec.serviceAccountName",
  "status.hostIP",
  "status.hostIPs",
  "status.podIP",
  "status.podIPs",
];

const SUBSCRIPTED_FIELD_PATH = /^metadata\.(labels|annotations)\['(.+)'\]$/;

/** Message for a reference to an API object, which a static pod cannot resolve. */
export function apiObjectReference(kind: string): string {
  return `static pods cannot reference API objects (this names a ${kind}), and tinylet has no API server; put the value in the manifest or a hostPath file`;
}

/** Outcome of reading one `valueFrom`: a field path, a reference left unset, or an error (undefined). */
export type EnvSource = { fieldPath: string } | { resourceFieldRef: ResourceFieldRef } | "unset" | undefined;

/**
 * Reads `valueFrom` of the variable `name`; `literal` is its `value`, which Kubernetes forbids
 * beside a non-empty value.
 */
export function readEnvValueFrom(reader: DocumentReader, value: Value, name: string, literal: string | undefined): EnvSource {
  const fields = reader.fields(value);
  if (fields === undefined) return undefined;
  const sources = ["fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef", "fileKeyRef"];
  warnOtherFields(reader, fields, new Set(sources), new Set(sources));

  const present = sources.filter((source) => !isNull(fieldValue(fields, source, value)));
  if (literal) {
    reader.error(value.at, value.path, "may not be set when value is not empty");
    return undefined;
  }
  if (present.length !== 1) {
    const detail = present.length === 0 ? "no source" : `${present.length} sources (${present.join(", ")})`;
    reader.error(value.at, value.path, `${detail}; valueFrom needs exactly one of fieldRef, resourceFieldRef, configMapKeyRef or secretKeyRef`);
    return undefined;
  }

  const source = present[0] ?? "";
  const sourceValue = fieldValue(fields, source, value);
  switch (source) {
    case "fieldRef":
      return readFieldRef(reader, sourceValue);
    case "resourceFieldRef":
      return readResourceFieldRef(reader, sourceValue);
    case "configMapKeyRef":
      reader.error(sourceValue.at, sourceValue.path, apiObjectReference("ConfigMap"));
      return undefined;
    case "secretKeyRef":
      reader.error(sourceValue.at, sourceValue.path, apiObjectReference("Secret"));
      return undefined;
    default:
      reader.warning(fields.get(source)?.key ?? sourceValue.at, sourceValue.path, `${NOT_SUPPORTED}, so ${name} is not set`);
      return "unset";
  }
}

function readFieldRef(reader: DocumentReader, value: Value): EnvSource {
  const fields = reader.fields(value);
  if (fields === undefined) return undefined;
  warnOtherFields(reader, fields, new Set(["fieldPath", "apiVersion"]), new Set(["fieldPath", "apiVersion"]));

  const versionValue = fieldValue(fields, "apiVersion", value);
  const apiVersion = reader.string(versionValue);
  if (apiVersion !== undefined && apiVersion !== "v1") {
    reader.error(versionValue.at, versionValue.path, `${quote(apiVersion)} is not supported; expected v1`);
    return undefined;
  }

  const pathValue = fieldValue(fields, "fieldPath", value);
  if (!requirePresent(reader, pathValue)) return undefined;
  const fieldPath = reader.string(pathValue);
  if (fieldPath === undefined) return undefined;
  if (!ENV_FIELD_PATHS.includes(fieldPath) && !SUBSCRIPTED_FIELD_PATH.test(fieldPath)) {
    reader.error(
      pathValue.at,
      pathValue.path,
      `${quote(fieldPath)} is not supported; expected one of ${ENV_FIELD_PATHS.join(", ")}, metadata.labels['KEY'] or metadata.annotations['KEY']`,
    );
    return undefined;
  }
  return { fieldPath };
}

const RESOURCE_FIELDS: readonly ResourceFieldRef["resource"][] = ["limits.cpu", "limits.memory", "requests.cpu", "requests.memory"];

/**
 * Reads `resourceFieldRef`. The divisor is kept in millicores or bytes; Kubernetes allows 1m and 1
 * for cpu, and a power of 1000 or 1024 for memory, written as `1` with a suffix.
 */
function readResourceFieldRef(reader: DocumentReader, value: Value): EnvSource {
  const fields = reader.fields(value);
  if (fields === undefined) return undefined;
  const defined = new Set(["containerName", "resource", "divisor"]);
  warnOtherFields(reader, fields, defined, defined);

  const resourceValue = fieldValue(fields, "resource", value);
  if (!requirePresent(reader, resourceValue)) return undefined;
  const resource = readEnum(reader, resourceValue, RESOURCE_FIELDS);
  const containerName = reader.string(fieldValue(fields, "containerName", value));
  const divisorValue = fieldValue(fields, "divisor", value);
  const divisor = isNull(divisorValue) ? undefined : readQuantity(reader, divisorValue);
  if (resource === undefined || (!isNull(divisorValue) && divisor === undefined)) return undefined;

  const ref: ResourceFieldRef = { resource };
  if (containerName) ref.containerName = containerName;
  if (divisor !== undefined) {
    const cpu = resource.endsWith(".cpu");
    const amount = Number(cpu ? quantityMilliValue(divisor) : quantityValue(divisor));
    const allowed = cpu ? [1, 1000] : [1, 1e3, 1e6, 1e9, 1e12, 1e15, 1e18, 2 ** 10, 2 ** 20, 2 ** 30, 2 ** 40, 2 ** 50, 2 ** 60];
    if (!allowed.includes(amount)) {
      const expected = cpu ? "1m or 1" : "1, or 1 with a suffix such as 1Mi or 1G";
      reader.error(divisorValue.at, divisorValue.path, `is not a valid divisor for ${resource}; expected ${expected}`);
      return undefined;
    }
    ref.divisor = amount;
  }
  return { resourceFieldRef: ref };
}

/** Reads `envFrom`, whose every source is a ConfigMap or a Secret, so any entry is an error. */
export function readEnvFrom(reader: DocumentReader, value: Value): boolean {
  const items = reader.list(value);
  if (items === undefined) return false;
  let ok = true;
  for (const item of items) {
    const fields = reader.fields(item);
    if (fields === undefined) {
      ok = false;
      continue;
    }
    const kind = fields.has("secretRef") ? "Secret" : "ConfigMap";
    reader.error(item.at, item.path, apiObjectReference(kind));
    ok = false;
  }
  return ok;
}

/** Returns the key of a `metadata.labels['KEY']` or `metadata.annotations['KEY']` field path. */
export function subscriptedFieldPath(fieldPath: string): { map: "labels" | "annotations"; key: string } | undefined {
  const match = SUBSCRIPTED_FIELD_PATH.exec(fieldPath);
  if (match === null) return undefined;
  return { map: match[1] === "labels" ? "labels" : "annotations", key: match[2] ?? "" };
}
