/** Checking manifest files and directories without running anything, for `tinylet validate`. */
import { readdir } from "node:fs/promises";
import { basename, join } from "node:path";

import { selectUniquePods } from "./duplicates.js";
import { ManifestError, ManifestWarning } from "./errors.js";
import { compareNames, isManifestFileName, MANIFEST_EXTENSIONS } from "./file-names.js";
import { MAX_FILE_BYTES } from "./limits.js";
import { parseManifestBytes } from "./parse.js";
import type { Pod } from "./pod.js";
import { readManifestFile, statIfExists } from "./read-file.js";

/** Validation result of one file. */
export interface FileValidation {
  file: string;
  errors: ManifestError[];
  warnings: ManifestWarning[];
  /** Pods the daemon would run from this file: none if it has an error, and no duplicates. */
  pods: Pod[];
}

/**
 * Validates each path in order. A directory is expanded to its manifest files as the daemon reads
 * them: same name filter, lexical order, no recursion. A file is read whatever its name, with a
 * warning when the daemon would ignore that name. Beyond parse problems, validation warns about a
 * file with several documents, because kubelet reads only the first, and about duplicate pods
 * across all paths.
 */
export async function validateFiles(paths: string[]): Promise<FileValidation[]> {
  const results: FileValidation[] = [];
  for (const path of paths) {
    let stats;
    try {
      stats = await statIfExists(path);
    } catch (err) {
      results.push(failure(path, ManifestError.from(path, err, "failed to stat")));
      continue;
    }

    if (stats === undefined) {
      results.push(failure(path, new ManifestError("not found", { file: path })));
    } else if (stats.isDirectory()) {
      results.push(...(await validateDirectory(path)));
    } else {
      const result = await validateFile(path);
      if (!isManifestFileName(basename(path))) {
        result.warnings.push(
          new ManifestWarning(
            `the daemon ignores this file because of its name; manifest names end in ${MANIFEST_EXTENSIONS.join(", ")} and do not start with '.'`,
            { file: path },
          ),
        );
      }
      results.push(result);
    }
  }

  markDuplicates(results);
  return results;
}

async function validateDirectory(dir: string): Promise<FileValidation[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    return [failure(dir, ManifestError.from(dir, err, "failed to list directory"))];
  }

  const results: FileValidation[] = [];
  for (const name of names.filter(isManifestFileName).sort(compareNames)) {
    const path = join(dir, name);
    const stats = await statIfExists(path).catch(() => undefined);
    if (stats === undefined || stats.isFile()) results.push(await validateFile(path));
  }
  return results;
}

async function validateFile(file: string): Promise<FileValidation> {
  let content;
  try {
    content = await readManifestFile(file, MAX_FILE_BYTES);
  } catch (err) {
    return failure(file, ManifestError.from(file, err));
  }
  if (content === undefined) return failure(file, new ManifestError("not found or not a regular file", { file }));

  const result = parseManifestBytes(file, content.bytes);
  if (result.documents === 0) {
    // The daemon skips such a file without a word, so validation is where a user learns of it.
    result.warnings.push(new ManifestWarning("the file defines no pod: it is empty or contains only comments", { file }));
  }
  if (result.documents > 1) {
    result.warnings.push(
      new ManifestWarning(
        `the file has ${result.documents} documents; tinylet runs every Pod document, but kubelet reads only the first`,
        { file },
      ),
    );
  }
  return { file, errors: result.errors, warnings: result.warnings, pods: result.errors.length > 0 ? [] : result.pods };
}

/** Adds a warning to each file whose pod an earlier file already defines, and drops that pod. */
function markDuplicates(results: FileValidation[]): void {
  const { duplicates } = selectUniquePods(results.flatMap((result) => result.pods));
  for (const duplicate of duplicates) {
    const result = results.find((candidate) => candidate.pods.includes(duplicate.pod));
    if (result === undefined) continue;
    result.warnings.push(duplicate.warning);
    result.pods = result.pods.filter((pod) => pod !== duplicate.pod);
  }
}

function failure(file: string, error: ManifestError): FileValidation {
  return { file, errors: [error], warnings: [], pods: [] };
}
