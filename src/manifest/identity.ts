/**
 * Pod identity. A pod's UID is a hash of what its manifest defines, so the same content read from
 * another file name or document position keeps its UID, and any change to it gives a new one.
 */
import { createHash } from "node:crypto";

import type { Pod, PodContent } from "./pod.js";

/**
 * Returns the pod's UID: the first 32 hexadecimal characters of the SHA-256 of its canonical JSON.
 *
 * The canonical JSON contains namespace, name, labels, annotations, restartPolicy,
 * terminationGracePeriodSeconds, hostNetwork and containers, never `uid` or `source`. Object keys
 * are sorted by UTF-16 code unit, and object properties holding a zero value (undefined, null,
 * false, 0, "", [] or {}) are left out; array items are always kept. Leaving zero values out keeps
 * UIDs stable when a later version adds a model field whose default is a zero value. Changing
 * this encoding changes every UID, which makes the daemon replace every running pod.
 */
export function podUID(pod: PodContent): string {
  // Every field of the content takes part, so a field added to the model later is covered too.
  const { uid: _uid, source: _source, ...content } = pod as PodContent & Partial<Pick<Pod, "uid" | "source">>;
  return createHash("sha256").update(canonicalJson(content)).digest("hex").slice(0, 32);
}

/** Encodes a JSON-compatible value as described on podUID. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonicalize(value)) ?? "null";
}

function canonicalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => canonicalize(item) ?? null);
  if (value === null || typeof value !== "object") return value;

  const sorted: Record<string, unknown> = {};
  // sort() without a comparator orders strings by UTF-16 code unit.
  for (const key of Object.keys(value).sort()) {
    const item = canonicalize((value as Record<string, unknown>)[key]);
    if (!isZero(item)) sorted[key] = item;
  }
  return sorted;
}

function isZero(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === "") return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === "object" && Object.keys(value).length === 0;
}
