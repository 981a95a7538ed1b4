/**
 * Manifest file names. Only names ending in `.yaml`, `.yml`, `.json` or
 * `.manifest` (in any letter case) are read, and names starting with `.` never are. Editor and
 * backup files such as `.web.yaml.swp`, `web.yaml~`, `web.yaml.bak` or vim's `4913` probe are
 * therefore ignored. kubelet differs here: it reads every name that does not start with `.`, so
 * a backup copy can define the same pod as the file being edited.
 */

const MANIFEST_EXTENSION = /\.(ya?ml|json|manifest)$/i;

/** Extensions of the files read, as listed in messages. */
export const MANIFEST_EXTENSIONS = [".yaml", ".yml", ".json", ".manifest"] as const;

/** Returns whether a directory entry with this name is read as a manifest. */
export function isManifestFileName(name: string): boolean {
  return !name.startsWith(".") && MANIFEST_EXTENSION.test(name);
}

/** Compares names by UTF-16 code unit, which is the order files are read and duplicates resolved in. */
export function compareNames(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}
