/** Readers for the pod-level fields that both manifest formats share. */
import { childPath, isNull, quote, type DocumentReader, type Field, type Value } from "./document-reader.js";
import { DEFAULT_NAMESPACE, type RestartPolicy } from "./pod.js";
import { checkDns1123Label, checkDns1123Subdomain } from "./validate.js";

/** Warning for a field that Kubernetes defines but tinylet does not act on. */
export const NOT_SUPPORTED = "field is not supported by tinylet yet and is ignored";

/** Warning for a field that Kubernetes does not define at that place. */
export const UNKNOWN_FIELD = "unknown field; it is ignored";

const RESTART_POLICIES: readonly RestartPolicy[] = ["Always", "OnFailure", "Never"];

/** Returns the field's value, or an absent value located at the parent when the field is missing. */
export function fieldValue(fields: Map<string, Field>, name: string, parent: Value): Value {
  return fields.get(name)?.value ?? { node: null, at: parent.at, path: childPath(parent.path, name) };
}

/** Reports `required` when the value is absent or null; returns whether it is present. */
export function requirePresent(reader: DocumentReader, value: Value, hint = ""): boolean {
  if (!isNull(value)) return true;
  reader.error(value.at, value.path, `required${hint}`);
  return false;
}

/** Reads a required pod name: a DNS-1123 subdomain. */
export function readPodName(reader: DocumentReader, value: Value): string | undefined {
  if (!requirePresent(reader, value)) return undefined;
  const name = reader.string(value);
  if (name === undefined) return undefined;
  const problem = checkDns1123Subdomain(name);
  if (problem !== undefined) {
    reader.error(value.at, value.path, problem);
    return undefined;
  }
  return name;
}

/** Reads an optional namespace: a DNS-1123 label; absent or empty means `default`. */
export function readNamespace(reader: DocumentReader, value: Value): string | undefined {
  const namespace = reader.string(value);
  if (namespace === undefined) return isNull(value) ? DEFAULT_NAMESPACE : undefined;
  if (namespace === "") return DEFAULT_NAMESPACE;
  const problem = checkDns1123Label(namespace);
  if (problem !== undefined) {
    reader.error(value.at, value.path, problem);
    return undefined;
  }
  return namespace;
}

/** Reads an optional restart policy; absent means Always. */
export function readRestartPolicy(reader: DocumentReader, value: Value): RestartPolicy | undefined {
  const policy = reader.string(value);
  if (policy === undefined) return isNull(value) ? "Always" : undefined;
  const known = RESTART_POLICIES.find((candidate) => candidate === policy);
  if (known === undefined) {
    reader.error(value.at, value.path, `${quote(policy)} is not supported; expected Always, OnFailure or Never`);
  }
  return known;
}
