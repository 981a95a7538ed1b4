/**
 * The manifests directory as a set of desired pods. Each scan lists the directory, reads only the
 * files that changed, and applies three policies:
 *
 * - A file with any error yields no new pods, so a half-written file never runs half a pod. The
 *   pods of its last valid content stay desired until it is fixed or deleted. An empty file is
 *   treated as being written: no pods, no error, and the last valid pods stay too. (kubelet's
 *   periodic re-list instead drops the pod of a file it cannot parse.)
 * - When several files or documents define the same namespace/name, the file whose name sorts
 *   first wins (within a file, the first document), and the others get a warning.
 * - Problems are reported by the scan that first reads a file's new content, so a caller that logs
 *   `problems` logs each once per change. currentProblems() lists all of them at any time.
 *
 * A scan makes blocking file system calls (stat, readdir, and open and read of changed files).
 * On a local file system each takes a few microseconds, and the asynchronous form of a call costs
 * several times that CPU in a thread-pool round trip and a promise.
 *
 * NOTE: an editor that saves by renaming `web.yaml` to `web.yaml~` and writing a new `web.yaml`
 * leaves a moment without the file. A scan in that moment returns no pod for it.
 * NOTE: a manifests directory on a network file system that stops responding blocks the whole event loop, not only the scan.
 */
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, statSync, type BigIntStats } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";

import { selectUniquePods, type DuplicatePod } from "./duplicates.js";
import { compareProblems, ManifestError, ManifestWarning, type ManifestProblem } from "./errors.js";
import { compareNames, isManifestFileName } from "./file-names.js";
import { fileTooLarge, MAX_FILE_BYTES } from "./limits.js";
import { parseManifestBytes } from "./parse.js";
import { podKey, type Pod } from "./pod.js";
import { errorCode, readManifestFileSync, statIfExistsSync } from "./read-file.js";
import { checkDirectoryTrustSync, checkFileTrust, type TrustOptions } from "./trust.js";

/** Options of ManifestDirectory. */
export interface ManifestDirectoryOptions {
  /** Maximum size of a manifest file in bytes; a larger file is reported and not read. Default 1 MiB. */
  maxFileBytes?: number;
  /**
   * Ownership, mode and symbolic link checks of the directory and its files (see trust.ts). A
   * directory that fails them makes scan() reject; a file that fails them is refused like a file
   * with an error. Default: no checks, for tools and tests that read directories they made.
   */
  trust?: TrustOptions;
  /** Clock in milliseconds since the epoch that file times are compared with. Default Date.now. */
  nowMs?: () => number;
}

/** Result of one scan. */
export interface DirectoryScan {
  /** Desired pods: one per namespace/name, sorted by `namespace/name`. */
  pods: Pod[];
  /** Errors and warnings of files whose content changed since the previous scan, and new duplicates. */
  problems: ManifestProblem[];
  /** Number of manifest files found. */
  files: number;
  /** Whether this scan created the missing directory. */
  created: boolean;
}

/** Counts of file reads and parses since the directory was created, for status output and tests. */
export interface ScanStatistics {
  reads: number;
  parses: number;
}

/**
 * Files changed this close to the start of a scan are read again on the next scan even if their
 * stat is unchanged. A second write within the file system's timestamp granularity (up to 2 s on
 * FAT, 1 s on ext3 and HFS+) can leave size, mtime and ctime as they were.
 */
const RACY_WINDOW_MS = 2000;

/** Cached state of one file. */
interface FileEntry {
  /** dev, ino, size, mtime and ctime of the file when it was last read, or a marker for a failure. */
  identity: string;
  /** Whether the file must be read again on the next scan; see mayChangeUnseen. */
  racy: boolean;
  /** SHA-256 of the content last parsed; undefined when the file could not be read. */
  contentHash?: string;
  /** Pods in effect for this file: those of its content, or of its last valid content. */
  pods: Pod[];
  problems: ManifestProblem[];
  /** Messages of the ownership and link warnings among `problems`, so a change of them is reported. */
  trustWarnings?: string;
}

interface ScannedFile {
  entry: FileEntry;
  /** Whether the entry describes new content, so its problems are reported again. */
  changed: boolean;
}

/** A directory of manifests; see the file comment for the policies. */
export class ManifestDirectory {
  /** Absolute path of the directory. */
  readonly dir: string;
  readonly statistics: ScanStatistics = { reads: 0, parses: 0 };
  private readonly maxFileBytes: number;
  private readonly trust: TrustOptions | undefined;
  private readonly nowMs: () => number;
  /** Real path of the directory as of the current scan, for the symbolic link check. */
  private realDir = "";
  /** Entries by file name, in lexical order of the names. */
  private entries = new Map<string, FileEntry>();
  private duplicates: DuplicatePod[] = [];
  /** The pods of the last scan, sorted by key; reused while no file changes, appears or goes. */
  private unique: Pod[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(dir: string, options: ManifestDirectoryOptions = {}) {
    this.dir = resolve(dir);
    this.maxFileBytes = options.maxFileBytes ?? MAX_FILE_BYTES;
    this.trust = options.trust;
    this.nowMs = options.nowMs ?? Date.now;
  }

  /**
   * Lists and reads the directory, creating it (mode 0755) when it is missing. Concurrent calls
   * run one after another. Rejects with a ManifestError naming the directory when it cannot be
   * created or listed; the state of the previous scan is then kept.
   */
  scan(): Promise<DirectoryScan> {
    const run = this.queue.then(() => this.scanOnce());
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Returns all errors and warnings present after the last scan, sorted by file and position. */
  currentProblems(): ManifestProblem[] {
    const problems = [...this.entries.values()].flatMap((entry) => entry.problems);
    problems.push(...this.duplicates.map((duplicate) => duplicate.warning));
    return problems.sort(compareProblems);
  }

  private async scanOnce(): Promise<DirectoryScan> {
    const created = await this.ensureDirectory();
    this.checkTrust();
    const names = this.listManifestNames();

    const scanStartMs = this.nowMs();
    const entries = new Map<string, FileEntry>();
    const changedFiles = new Set<string>();
    const problems: ManifestProblem[] = [];
    let unchangedFiles = 0;
    for (const name of names) {
      const path = join(this.dir, name);
      const previous = this.entries.get(name);
      const scanned = this.scanFile(path, previous, scanStartMs);
      if (scanned === undefined) continue;
      entries.set(name, scanned.entry);
      if (scanned.changed) {
        changedFiles.add(path);
        problems.push(...scanned.entry.problems);
      } else if (previous !== undefined) {
        unchangedFiles++;
      }
    }
    // The same unchanged files define the same pods, so the last selection still holds.
    const unchanged = changedFiles.size === 0 && unchangedFiles === entries.size && unchangedFiles === this.entries.size;
    this.entries = entries;

    const { pods, duplicates } = unchanged
      ? { pods: this.unique, duplicates: this.duplicates }
      : selectUniquePods([...entries.values()].flatMap((entry) => entry.pods));
    this.unique = pods;
    const reportedDuplicates = new Set(this.duplicates.map((duplicate) => duplicate.warning.message));
    this.duplicates = duplicates;

    for (const duplicate of duplicates) {
      const involvesChange = changedFiles.has(duplicate.winnerFile) || changedFiles.has(duplicate.loserFile);
      if (involvesChange || !reportedDuplicates.has(duplicate.warning.message)) problems.push(duplicate.warning);
    }
    problems.sort(compareProblems);
    return { pods: [...pods], problems, files: entries.size, created };
  }

  /** Returns whether the directory had to be created. */
  private async ensureDirectory(): Promise<boolean> {
    let stats;
    try {
      stats = statSync(this.dir, { throwIfNoEntry: false });
    } catch (err) {
      throw ManifestError.from(this.dir, err, "failed to read manifest directory");
    }
    if (stats === undefined) {
      try {
        await mkdir(this.dir, { recursive: true, mode: 0o755 });
      } catch (mkdirErr) {
        throw ManifestError.from(this.dir, mkdirErr, "failed to create manifest directory");
      }
      return true;
    }
    if (!stats.isDirectory()) {
      throw new ManifestError("manifest path is not a directory", { file: this.dir });
    }
    return false;
  }

  /** Rejects the scan when the directory or a parent fails the ownership checks; warnings are the daemon's to log once. */
  private checkTrust(): void {
    if (this.trust === undefined) return;
    let findings;
    try {
      const checked = checkDirectoryTrustSync(this.dir, this.trust);
      this.realDir = checked.realPath;
      findings = checked.findings;
    } catch (err) {
      throw ManifestError.from(this.dir, err, "failed to check manifest directory");
    }
    const refused = findings.find((finding) => finding.severity === "error");
    if (refused !== undefined) {
      throw new ManifestError(`${refused.detail}; no manifest is read until this is fixed`, { file: refused.path });
    }
  }

  private listManifestNames(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (err) {
      throw ManifestError.from(this.dir, err, "failed to list manifest directory");
    }
    return names.filter(isManifestFileName).sort(compareNames);
  }

  /** Returns the file's entry, or undefined when it is gone or is not a regular file. */
  private scanFile(path: string, previous: FileEntry | undefined, scanStartMs: number): ScannedFile | undefined {
    let stats: BigIntStats | undefined;
    try {
      stats = statIfExistsSync(path);
    } catch (err) {
      return this.failed(`stat-error:${errorCode(err) ?? "unknown"}`, previous, ManifestError.from(path, err, "failed to stat"));
    }
    if (stats === undefined) return this.scanDanglingLink(path, previous);
    if (!stats.isFile()) return undefined;

    const identity = identityOf(stats);
    if (previous !== undefined && previous.identity === identity && !previous.racy) return { entry: previous, changed: false };
    if (stats.size > BigInt(this.maxFileBytes)) {
      return this.failed(identity, previous, fileTooLarge(path, Number(stats.size), this.maxFileBytes));
    }

    let content;
    try {
      content = readManifestFileSync(path, this.maxFileBytes);
    } catch (err) {
      return this.failed(identity, previous, ManifestError.from(path, err));
    }
    if (content === undefined) return undefined;
    this.statistics.reads += 1;

    const readIdentity = identityOf(content.stats);
    const trustFindings = this.trust === undefined ? [] : checkFileTrust(path, content.realPath, this.realDir, content.stats, this.trust);
    const refused = trustFindings.find((finding) => finding.severity === "error");
    if (refused !== undefined) return this.failed(readIdentity, previous, new ManifestError(refused.detail, { file: path }));
    const trustWarnings = trustFindings.map((finding) => new ManifestWarning(finding.detail, { file: path }));
    const racy = mayChangeUnseen(content.stats, scanStartMs);
    const contentHash = createHash("sha256").update(content.bytes).digest("hex");
    const trustMessages = trustWarnings.map((warning) => warning.message).join("\n");
    if (previous !== undefined && previous.contentHash === contentHash) {
      if ((previous.trustWarnings ?? "") === trustMessages) return { entry: { ...previous, identity: readIdentity, racy }, changed: false };
      // Same content, new mode or owner: only the ownership warnings change.
      const problems = [...trustWarnings, ...previous.problems.filter((problem) => !(previous.trustWarnings ?? "").includes(problem.message))];
      return { entry: { ...previous, identity: readIdentity, racy, problems, trustWarnings: trustMessages }, changed: true };
    }

    this.statistics.parses += 1;
    const entry: FileEntry = { identity: readIdentity, racy, contentHash, pods: [], problems: [...trustWarnings], trustWarnings: trustMessages };
    if (isBlank(content.bytes)) {
      entry.pods = previous?.pods ?? [];
      if (entry.pods.length > 0) entry.problems.push(keptPodsWarning(path, "is empty", entry.pods));
      return { entry, changed: true };
    }

    const result = parseManifestBytes(path, content.bytes, { maxFileBytes: this.maxFileBytes });
    entry.problems.push(...result.errors, ...result.warnings);
    if (result.errors.length === 0) {
      entry.pods = result.pods;
    } else {
      entry.pods = previous?.pods ?? [];
      if (entry.pods.length > 0) entry.problems.push(keptPodsWarning(path, "has errors", entry.pods));
    }
    return { entry, changed: true };
  }

  /** Builds the entry of a file that could not be read; its last valid pods stay in effect. */
  private failed(identity: string, previous: FileEntry | undefined, error: ManifestError): ScannedFile {
    if (previous !== undefined && previous.identity === identity) return { entry: previous, changed: false };
    const pods = previous?.pods ?? [];
    const problems: ManifestProblem[] = [error];
    if (pods.length > 0) problems.push(keptPodsWarning(error.file, "cannot be read", pods));
    return { entry: { identity, racy: false, pods, problems }, changed: true };
  }

  /**
   * Distinguishes a symbolic link whose target is missing (reported, defines no pods) from a file
   * deleted after the listing (ignored silently).
   */
  private scanDanglingLink(path: string, previous: FileEntry | undefined): ScannedFile | undefined {
    let link;
    try {
      link = lstatSync(path, { bigint: true });
    } catch {
      return undefined;
    }
    if (!link.isSymbolicLink()) return undefined;

    const identity = `dangling:${identityOf(link)}`;
    if (previous !== undefined && previous.identity === identity) return { entry: previous, changed: false };
    const warning = new ManifestWarning("symbolic link target does not exist; the link is ignored", { file: path });
    return { entry: { identity, racy: false, pods: [], problems: [warning] }, changed: true };
  }
}

function identityOf(stats: BigIntStats): string {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`;
}

/**
 * Returns whether a change made after a read that started at `readStartMs` could leave the file's
 * stat as it was, so the next scan must read the file again. The kernel sets ctime to its clock on
 * every change, and no call sets it otherwise, so a later change repeats the ctime only within one
 * timestamp tick of it. mtime is compared too, for file systems that do not keep a ctime. Only an
 * mtime near the read counts, because a write moves an mtime that was set far into the past or
 * future, and a file touched into the future would otherwise be read on every scan until then.
 */
function mayChangeUnseen(stats: BigIntStats, readStartMs: number): boolean {
  // NOTE: where ctime is not kept, a same-size rewrite that restores an mtime far from the read goes unseen.
  const ctimeMs = Number(stats.ctimeMs);
  const mtimeMs = Number(stats.mtimeMs);
  return ctimeMs >= readStartMs - RACY_WINDOW_MS || Math.abs(mtimeMs - readStartMs) <= RACY_WINDOW_MS;
}

/** Returns whether the bytes are only whitespace, after an optional UTF-8 byte order mark. */
function isBlank(bytes: Uint8Array): boolean {
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  for (let i = start; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return false;
  }
  return true;
}

function keptPodsWarning(file: string, condition: string, pods: readonly Pod[]): ManifestWarning {
  const keys = pods.map(podKey).join(", ");
  return new ManifestWarning(
    `file ${condition}, so the pods of its last valid content stay in effect until it is fixed or deleted: ${keys}`,
    { file },
  );
}
