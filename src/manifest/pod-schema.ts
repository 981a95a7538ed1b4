/**
 * Checks a Kubernetes-format document against the core/v1 Pod OpenAPI schema that the
 * kubernetes-models package carries. The readers check the fields tinylet runs; the schema also
 * covers the ones it accepts without running (tolerations, affinity, ...), so a type error there
 * is an error here, as the API server would make it one.
 */
import { isMap, isScalar, isSeq, type Document, type ParsedNode } from "yaml";
import { Pod as PodModel } from "kubernetes-models/v1/Pod";

import type { DocumentReader, Value } from "./document-reader.js";

/** One schema violation, as the validator reports it. */
interface SchemaError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/**
 * Reports the schema violations of a Kubernetes-format document, one per field, at the field's
 * node. Does nothing for a small-format document.
 */
export function checkPodSchema(reader: DocumentReader, doc: Document.Parsed): void {
  const contents = doc.contents;
  if (!isMap(contents) || (!contents.has("kind") && !contents.has("apiVersion"))) return;

  const errors = schemaErrors(doc.toJS({ maxAliasCount: -1 }) as unknown);
  const byPath = new Map<string, SchemaError[]>();
  for (const error of errors) {
    const list = byPath.get(error.instancePath) ?? [];
    list.push(error);
    byPath.set(error.instancePath, list);
  }

  for (const [instancePath, list] of byPath) {
    const segments = instancePath.split("/").slice(1).map((segment) => segment.replaceAll("~1", "/").replaceAll("~0", "~"));
    const value = locate(reader, segments);
    reader.error(value.at, fieldPath(segments), `${describeErrors(list)}, as the Kubernetes v1 Pod schema requires`);
  }
}

function schemaErrors(object: unknown): SchemaError[] {
  try {
    new PodModel(object as ConstructorParameters<typeof PodModel>[0]).validate();
    return [];
  } catch (error) {
    const errors = (error as { errors?: unknown }).errors;
    return Array.isArray(errors) ? (errors as SchemaError[]) : [];
  }
}

/** JSON schema types in the words the readers use. */
const TYPE_NAMES: Record<string, string> = {
  object: "a map",
  array: "a list",
  string: "a string",
  integer: "an integer",
  number: "a number",
  boolean: "a boolean",
};

/** Merges the errors of one field: "expected a string or an integer" instead of three lines about oneOf. */
function describeErrors(errors: readonly SchemaError[]): string {
  const types = errors.filter((error) => error.keyword === "type").map((error) => TYPE_NAMES[String(error.params["type"])] ?? String(error.params["type"]));
  if (types.length > 0) return `expected ${[...new Set(types)].join(" or ")}`;

  const enumError = errors.find((error) => error.keyword === "enum");
  if (enumError !== undefined) {
    const allowed = (enumError.params["allowedValues"] as unknown[] | undefined) ?? [];
    return `must be one of ${allowed.map((item) => String(item)).join(", ")}`;
  }

  const required = errors.find((error) => error.keyword === "required");
  if (required !== undefined) return `${String(required.params["missingProperty"])} is required`;
  return errors[0]?.message ?? "is invalid";
}

/** Returns the deepest node of the document on the path, so the error points as close as it can. */
function locate(reader: DocumentReader, segments: readonly string[]): Value {
  let value = reader.root();
  for (const segment of segments) {
    const node: ParsedNode | null = value.node;
    let child: ParsedNode | null | undefined;
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === segment);
      if (pair !== undefined) child = (pair.value as ParsedNode | null) ?? null;
      if (pair === undefined) return value;
      value = reader.valueOf(child ?? null, pair.key as ParsedNode, value.path);
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)] as ParsedNode | undefined;
      if (item === undefined) return value;
      value = reader.valueOf(item, null, value.path);
    } else {
      return value;
    }
  }
  return value;
}

/** Formats path segments as the readers do: `spec.containers[0].ports[1].containerPort`. */
function fieldPath(segments: readonly string[]): string {
  let path = "";
  for (const segment of segments) {
    if (/^\d+$/.test(segment)) path += `[${segment}]`;
    else path += path === "" ? segment : `.${segment}`;
  }
  return path;
}
