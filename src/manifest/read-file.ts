/** Reading one manifest file from disk without following it into a FIFO or past the size limit. */
import { closeSync, constants, fstatSync, openSync, readlinkSync, readSync, realpathSync, statSync, type BigIntStats } from "node:fs";
import { stat } from "node:fs/promises";

import { ManifestError } from "./errors.js";
import { fileTooLarge } from "./limits.js";

/** The bytes of a file and the stat of the open file they were read from. */
export interface FileContent {
  bytes: Buffer;
  stats: BigIntStats;
  /** Absolute path of the file that was opened, with every symbolic link resolved. */
  realPath: string;
}

/** Returns the error code of a Node.js system error, e.g. `ENOENT`. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "code" in err && typeof err.code === "string") return err.code;
  return undefined;
}

/** Stats a path, following symbolic links; undefined when it does not exist. */
export async function statIfExists(path: string): Promise<BigIntStats | undefined> {
  try {
    return await stat(path, { bigint: true });
  } catch (err) {
    if (errorCode(err) === "ENOENT") return undefined;
    throw err;
  }
}

/**
 * Stats a path like statIfExists, but blocks. On a local file system a stat takes a few
 * microseconds, far less than the thread-pool round trip and promise of the asynchronous call.
 */
export function statIfExistsSync(path: string): BigIntStats | undefined {
  return statSync(path, { bigint: true, throwIfNoEntry: false });
}

/** Reads a file like readManifestFileSync, for callers that expect a promise. */
export async function readManifestFile(path: string, maxFileBytes: number): Promise<FileContent | undefined> {
  return readManifestFileSync(path, maxFileBytes);
}

/**
 * Reads a regular file of at most `maxFileBytes` bytes. Returns undefined when the file vanished
 * before it could be opened, or was replaced by something that is not a regular file.
 * Throws a ManifestError naming the file when it is too large or cannot be read.
 *
 * It blocks the event loop while it reads. On a local file system that is short, since the file
 * is at most `maxFileBytes` long, and costs less CPU than open, fstat, read, readlink and close
 * each made through the thread pool.
 */
export function readManifestFileSync(path: string, maxFileBytes: number): FileContent | undefined {
  let fd;
  try {
    // O_NONBLOCK keeps open() from waiting for a writer if the name now refers to a FIFO.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if (errorCode(err) === "ENOENT") return undefined;
    throw ManifestError.from(path, err);
  }

  try {
    const stats = fstatSync(fd, { bigint: true });
    if (!stats.isFile()) return undefined;
    if (stats.size > BigInt(maxFileBytes)) throw fileTooLarge(path, Number(stats.size), maxFileBytes);

    // Read up to one byte past the limit, growing the buffer, so a file that grew after fstat is
    // read whole or reported as too large.
    let buffer = Buffer.alloc(Math.min(Number(stats.size), maxFileBytes) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > maxFileBytes) throw fileTooLarge(path, length, maxFileBytes);
        const larger = Buffer.alloc(Math.min(buffer.length * 2, maxFileBytes + 1));
        buffer.copy(larger, 0, 0, length);
        buffer = larger;
      }
      const bytesRead = readSync(fd, buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return { bytes: buffer.subarray(0, length), stats, realPath: openedPath(fd, path) };
  } catch (err) {
    throw ManifestError.from(path, err);
  } finally {
    closeSync(fd);
  }
}

/**
 * Returns the real path of an open file. On Linux, /proc names the file the descriptor refers to,
 * so a link swapped after open() cannot change the result; elsewhere the path is resolved again.
 */
function openedPath(fd: number, path: string): string {
  try {
    const target = readlinkSync(`/proc/self/fd/${fd}`);
    return target.endsWith(" (deleted)") ? target.slice(0, -" (deleted)".length) : target;
  } catch {
    return realpathSync.native(path);
  }
}
