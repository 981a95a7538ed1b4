/**
 * Kubernetes' Pod format (`apiVersion: v1`, `kind: Pod`). Fields tinylet runs are read and checked
 * with Kubernetes' rules; every other field is reported as a warning, never dropped silently.
 */
import { isMap } from "yaml";

import { isNull, quote, type DocumentReader, type Field, type Value } from "./document-reader.js";
import { readContainers } from "./containers.js";
import { OBJECT_META_FIELDS, OBJECT_META_SERVER_FIELDS, POD_FIELDS, POD_SPEC_FIELDS } from "./kubernetes-fields.js";
import { DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS, type PodContent } from "./pod.js";
import type { PodSpecFields } from "./pod-spec.js";
import { checkMountedVolumes, NODE_IRRELEVANT_FIELDS, POD_SPEC_FIELDS_READ, readPodSpecFields } from "./pod-spec-reader.js";
import {
  fieldValue,
  NOT_SUPPORTED,
  readNamespace,
  readPodName,
  readRestartPolicy,
  requirePresent,
  UNKNOWN_FIELD,
} from "./pod-fields.js";
import { checkLabelValue, checkQualifiedName } from "./validate.js";

const ONLY_PODS = "only apiVersion v1, kind Pod manifests are run";

/** Reads a Kubernetes Pod document whose root fields are `fields`; undefined when it has errors. */
export function readKubernetesPod(reader: DocumentReader, root: Value, fields: Map<string, Field>): PodContent | undefined {
  if (!checkKind(reader, root, fields)) return undefined;
  const mark = reader.problems.errors.length;

  for (const field of fields.values()) {
    if (!POD_FIELDS.has(field.name)) reader.warning(field.key, field.value.path, UNKNOWN_FIELD);
  }
  const status = fields.get("status");
  if (status !== undefined && !isEmpty(status.value)) {
    reader.warning(status.key, status.value.path, "field is ignored; status is reported by the node, not read from a manifest");
  }

  const metadata = readMetadata(reader, fieldValue(fields, "metadata", root));
  const specValue = fieldValue(fields, "spec", root);
  if (!requirePresent(reader, specValue)) return undefined;
  const spec = readSpec(reader, specValue);

  if (reader.problems.errors.length > mark || metadata === undefined || spec === undefined) return undefined;
  return { ...metadata, ...spec };
}

/** Checks `apiVersion: v1` and `kind: Pod`; reports the first that is wrong or missing. */
function checkKind(reader: DocumentReader, root: Value, fields: Map<string, Field>): boolean {
  const kindValue = fieldValue(fields, "kind", root);
  if (!requirePresent(reader, kindValue, `; ${ONLY_PODS}`)) return false;
  const kind = reader.string(kindValue);
  if (kind === undefined) return false;
  if (kind !== "Pod") {
    reader.error(kindValue.at, "", `kind ${kind} is not a Pod; ${ONLY_PODS}`);
    return false;
  }

  const versionValue = fieldValue(fields, "apiVersion", root);
  if (!requirePresent(reader, versionValue, `; ${ONLY_PODS}`)) return false;
  const version = reader.string(versionValue);
  if (version === undefined) return false;
  if (version !== "v1") {
    reader.error(versionValue.at, "", `apiVersion ${version} is not v1; ${ONLY_PODS}`);
    return false;
  }
  return true;
}

type Metadata = Pick<PodContent, "name" | "namespace" | "labels" | "annotations">;

function readMetadata(reader: DocumentReader, value: Value): Metadata | undefined {
  const fields = reader.fields(value);
  if (fields === undefined) return undefined;

  for (const field of fields.values()) {
    const name = field.name;
    if (name === "name" || name === "namespace" || name === "labels" || name === "annotations") continue;
    if (OBJECT_META_SERVER_FIELDS.has(name)) continue;
    if (name === "uid") {
      reader.warning(field.key, field.value.path, "field is ignored; tinylet derives the pod UID from the manifest content");
    } else {
      reader.warning(field.key, field.value.path, OBJECT_META_FIELDS.has(name) ? NOT_SUPPORTED : UNKNOWN_FIELD);
    }
  }

  const name = readPodName(reader, fieldValue(fields, "name", value));
  const namespace = readNamespace(reader, fieldValue(fields, "namespace", value));
  const labels = readKeyedStrings(reader, fieldValue(fields, "labels", value), "label");
  const annotations = readKeyedStrings(reader, fieldValue(fields, "annotations", value), "annotation");
  if (name === undefined || namespace === undefined || labels === undefined || annotations === undefined) return undefined;
  return { name, namespace, labels, annotations };
}

/**
 * Reads labels or annotations: string values under qualified-name keys. Label values must also be
 * valid label values; annotation keys are checked in lowercase, as Kubernetes does.
 */
function readKeyedStrings(
  reader: DocumentReader,
  value: Value,
  kind: "label" | "annotation",
): Record<string, string> | undefined {
  const entries = reader.stringMap(value);
  if (entries === undefined) return undefined;
  const fields = reader.fields(value) ?? new Map<string, Field>();

  let ok = true;
  for (const [key, text] of Object.entries(entries)) {
    const field = fields.get(key);
    const at = field?.key ?? value.at;
    const path = `${value.path}[${key}]`;
    const keyProblem = checkQualifiedName(kind === "annotation" ? key.toLowerCase() : key);
    const valueProblem = kind === "label" ? checkLabelValue(text) : undefined;
    if (keyProblem !== undefined) reader.error(at, path, `invalid ${kind} key ${quote(key)}: ${keyProblem}`);
    if (valueProblem !== undefined) reader.error(field?.value.at ?? at, path, valueProblem);
    if (keyProblem !== undefined || valueProblem !== undefined) ok = false;
  }
  return ok ? entries : undefined;
}

type Spec = Pick<PodContent, "restartPolicy" | "terminationGracePeriodSeconds" | "hostNetwork" | "initContainers" | "containers"> &
  PodSpecFields;

function readSpec(reader: DocumentReader, value: Value): Spec | undefined {
  const fields = reader.fields(value);
  if (fields === undefined) return undefined;

  const read = new Set([
    "containers",
    "initContainers",
    "restartPolicy",
    "hostNetwork",
    "terminationGracePeriodSeconds",
    ...POD_SPEC_FIELDS_READ,
    ...NODE_IRRELEVANT_FIELDS,
  ]);
  for (const field of fields.values()) {
    if (read.has(field.name)) continue;
    if (field.name === "imagePullSecrets" && !isNull(field.value)) {
      reader.warning(field.key, field.value.path, "field is ignored; static pods cannot read Secrets, so images are pulled without these credentials");
      continue;
    }
    reader.warning(field.key, field.value.path, POD_SPEC_FIELDS.has(field.name) ? NOT_SUPPORTED : UNKNOWN_FIELD);
  }

  const restartPolicy = readRestartPolicy(reader, fieldValue(fields, "restartPolicy", value));
  const hostNetwork = reader.boolean(fieldValue(fields, "hostNetwork", value));
  const graceValue = fieldValue(fields, "terminationGracePeriodSeconds", value);
  let terminationGracePeriodSeconds = reader.integer(graceValue);
  if (terminationGracePeriodSeconds !== undefined && terminationGracePeriodSeconds < 0) {
    reader.error(graceValue.at, graceValue.path, `${terminationGracePeriodSeconds} is negative; expected 0 or more seconds`);
  } else if (terminationGracePeriodSeconds === undefined && isNull(graceValue)) {
    terminationGracePeriodSeconds = DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  }

  const names = new Map<string, string>();
  const initValue = fieldValue(fields, "initContainers", value);
  const containersValue = fieldValue(fields, "containers", value);
  const initContainers = readContainers(reader, initValue, "kubernetes", hostNetwork ?? false, "init", names);
  const containers = readContainers(reader, containersValue, "kubernetes", hostNetwork ?? false, "container", names);
  const podFields = readPodSpecFields(reader, fields, value, hostNetwork ?? false);
  if (restartPolicy === undefined || terminationGracePeriodSeconds === undefined || containers === undefined) return undefined;
  if (initContainers === undefined || podFields === undefined) return undefined;

  checkMountedVolumes(reader, initValue, initContainers, podFields.volumes ?? []);
  checkMountedVolumes(reader, containersValue, containers, podFields.volumes ?? []);
  return { restartPolicy, terminationGracePeriodSeconds, hostNetwork: hostNetwork ?? false, initContainers, containers, ...podFields };
}

/** Returns whether a value is null or an empty map, such as the `status: {}` of generated manifests. */
function isEmpty(value: Value): boolean {
  return isNull(value) || (isMap(value.node) && value.node.items.length === 0);
}
