/**
 * Problems found while reading manifests. Both kinds carry the same location and format their
 * message as `file:line:column: path: detail`, leaving out the parts that are unknown.
 */

/** Location of a problem: the file as the caller named it, and optionally a position and field path. */
export interface ManifestLocation {
  file: string;
  /** One-based line of the offending node. */
  line?: number;
  /** One-based column of the offending node, counted in UTF-16 code units. */
  column?: number;
  /** Field path such as `spec.containers[1].image`; empty or absent for the document itself. */
  path?: string;
}

/** A manifest problem that keeps the document (or the whole file) from producing pods. */
export class ManifestError extends Error {
  override readonly name = "ManifestError";
  readonly severity = "error" as const;
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  readonly path?: string;
  /** The message without its location prefix, e.g. `required`. */
  readonly detail: string;

  constructor(detail: string, location: ManifestLocation, options?: { cause?: unknown }) {
    super(formatProblem(detail, location), options?.cause === undefined ? undefined : { cause: options.cause });
    this.file = location.file;
    this.detail = detail;
    if (location.line !== undefined) this.line = location.line;
    if (location.column !== undefined) this.column = location.column;
    if (location.path) this.path = location.path;
  }

  /**
   * Normalises anything caught while handling `file` into a ManifestError. Node.js system errors
   * keep their code in the message (`failed to read: EACCES: permission denied`) and as `cause`.
   */
  static from(file: string, err: unknown, operation = "failed to read"): ManifestError {
    if (err instanceof ManifestError) return err;
    const reason = err instanceof Error ? err.message : String(err);
    return new ManifestError(`${operation}: ${reason}`, { file }, { cause: err });
  }
}

/**
 * A manifest problem that does not stop the pod from running, such as a field tinylet ignores.
 * It is deliberately not an Error: nothing throws it, and it has no stack.
 */
export class ManifestWarning {
  readonly name = "ManifestWarning";
  readonly severity = "warning" as const;
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  readonly path?: string;
  readonly detail: string;
  readonly message: string;

  constructor(detail: string, location: ManifestLocation) {
    this.file = location.file;
    this.detail = detail;
    if (location.line !== undefined) this.line = location.line;
    if (location.column !== undefined) this.column = location.column;
    if (location.path) this.path = location.path;
    this.message = formatProblem(detail, location);
  }

  toString(): string {
    return this.message;
  }
}

/** An error or a warning, distinguished by `severity`. */
export type ManifestProblem = ManifestError | ManifestWarning;

/** Formats `file:line:column: path: detail`, leaving out the parts that are unknown. */
export function formatProblem(detail: string, location: ManifestLocation): string {
  let prefix = location.file;
  if (location.line !== undefined) {
    prefix += `:${location.line}`;
    if (location.column !== undefined) prefix += `:${location.column}`;
  }
  const path = location.path ? `${location.path}: ` : "";
  return `${prefix}: ${path}${detail}`;
}

/** Orders problems by file, then line, then column, so listings are stable. */
export function compareProblems(a: ManifestProblem, b: ManifestProblem): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  const line = (a.line ?? 0) - (b.line ?? 0);
  if (line !== 0) return line;
  return (a.column ?? 0) - (b.column ?? 0);
}
