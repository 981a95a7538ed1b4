import { ManifestError } from "./errors.js";

/**
 * Limits on manifest input. They keep one bad or hostile file from stalling the daemon, and are
 * far above what real static-pod manifests need, since kubeadm's generated ones are a few KiB.
 */

/** Maximum size of a manifest file in bytes (1 MiB). A larger file is reported and not parsed. */
export const MAX_FILE_BYTES = 1024 * 1024;

/** Maximum number of YAML documents read from one file; later documents are reported, not read. */
export const MAX_DOCUMENTS = 32;

/**
 * Maximum number of alias expansions in one document, as counted by the yaml package's
 * `maxAliasCount`. A "billion laughs" document fails fast with an error instead of expanding.
 */
export const MAX_ALIAS_COUNT = 100;

/** Maximum number of containers in one pod. */
export const MAX_CONTAINERS = 64;

/**
 * Maximum nesting of maps and sequences in one document, counting the document's root as 1. A
 * Kubernetes Pod needs about 10 (affinity terms are among the deepest fields). The yaml package
 * itself fails with a stack overflow at a few hundred levels, depending on the stack in use.
 */
export const MAX_NESTING_DEPTH = 64;

/** Maximum number of errors, and separately of warnings, reported for one file; the rest are counted. */
export const MAX_PROBLEMS_PER_FILE = 50;

/** Builds the error for a file over the size limit, which is reported instead of being parsed. */
export function fileTooLarge(file: string, size: number, maxFileBytes: number): ManifestError {
  return new ManifestError(`file is ${size} bytes; the maximum is ${maxFileBytes} bytes`, { file });
}
