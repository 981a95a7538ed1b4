/** Resolving pods that more than one file or document defines under the same namespace/name. */
import { ManifestWarning } from "./errors.js";
import { compareNames } from "./file-names.js";
import { podKey, type Pod } from "./pod.js";

/** A warning about a pod definition that lost to an earlier one, with both files. */
export interface DuplicatePod {
  warning: ManifestWarning;
  /** The definition that is ignored. */
  pod: Pod;
  /** File of the definition that is used. */
  winnerFile: string;
  /** File of the definition that is ignored. */
  loserFile: string;
}

/**
 * Keeps the first definition of each `namespace/name` in the given order (callers pass files in
 * lexical order of their names, and each file's pods in document order) and warns about the others.
 * Returns the kept pods sorted by key.
 */
export function selectUniquePods(podsInOrder: readonly Pod[]): { pods: Pod[]; duplicates: DuplicatePod[] } {
  const firstByKey = new Map<string, Pod>();
  const duplicates: DuplicatePod[] = [];
  for (const pod of podsInOrder) {
    const key = podKey(pod);
    const winner = firstByKey.get(key);
    if (winner === undefined) {
      firstByKey.set(key, pod);
      continue;
    }
    const detail = `pod ${key} is already defined in ${winner.source.file}:${winner.source.line}; this definition is ignored`;
    const warning = new ManifestWarning(detail, { file: pod.source.file, line: pod.source.line });
    duplicates.push({ warning, pod, winnerFile: winner.source.file, loserFile: pod.source.file });
  }

  const pods = [...firstByKey.values()].sort((a, b) => compareNames(podKey(a), podKey(b)));
  return { pods, duplicates };
}
