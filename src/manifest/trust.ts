/**
 * Who may define pods. A manifest runs containers as root, with host namespaces and host paths if
 * it asks, so whoever can write the manifests directory or a manifest file controls the host.
 * tinylet therefore reads manifests only from a directory, and its parent directories, that no
 * user but root and tinylet's own user can change, and only files that those users own, that
 * no other user can write, and that resolve to a path inside the directory.
 *
 * A path that fails a check is rejected with an error saying why and how to fix it, unless the
 * daemon runs with --allow-insecure-manifests (ownership and mode) or --allow-symlinks-outside
 * (link targets), which turn the error into a warning. A group-writable path is only warned about.
 */
import { realpathSync, statSync, type BigIntStats, type Stats } from "node:fs";
import { dirname, sep } from "node:path";

/** Settings of the ownership, mode and link checks. */
export interface TrustOptions {
  /** User IDs whose files and directories are trusted; root (0) and tinylet's own user by default. */
  trustedUids: readonly number[];
  /** Accept paths that another user owns or every user can write, with a warning. Default false. */
  allowInsecure: boolean;
  /** Read manifest files whose real path lies outside the directory. Default false. */
  allowSymlinksOutside: boolean;
}

/** Returns the strict settings: root and this process's user are trusted, and no risk is accepted. */
export function defaultTrustOptions(): TrustOptions {
  const own = process.getuid?.() ?? 0;
  return { trustedUids: own === 0 ? [0] : [0, own], allowInsecure: false, allowSymlinksOutside: false };
}

/** One problem found with a path. */
export interface TrustFinding {
  severity: "error" | "warning";
  /** The path the finding is about. */
  path: string;
  /** A sentence without the path, such as `writable by every user (mode 0777), ...`. */
  detail: string;
}

/** Flag that accepts insecure ownership and modes. */
export const ALLOW_INSECURE_FLAG = "--allow-insecure-manifests";
/** Flag that accepts manifest files outside the directory. */
export const ALLOW_SYMLINKS_FLAG = "--allow-symlinks-outside";

type Kind = "manifests directory" | "parent directory" | "file";

/**
 * Checks one path's owner and mode. For a parent directory, a world-writable mode is accepted
 * with the sticky bit set (as on /tmp), since other users can then not rename or delete the
 * entries they do not own.
 */
export function checkOwnerAndMode(path: string, kind: Kind, stats: Stats | BigIntStats, options: TrustOptions): TrustFinding[] {
  const mode = Number(stats.mode) & 0o7777;
  const uid = Number(stats.uid);
  const gid = Number(stats.gid);
  const octal = mode.toString(8).padStart(4, "0");
  const findings: TrustFinding[] = [];
  const reject = (detail: string, fix: string): void => {
    findings.push(
      options.allowInsecure
        ? { severity: "warning", path, detail: `${detail}; accepted because of ${ALLOW_INSECURE_FLAG}` }
        : { severity: "error", path, detail: `${detail}; ${fix}, or start tinylet with ${ALLOW_INSECURE_FLAG} to accept the risk` },
    );
  };

  if (!options.trustedUids.includes(uid)) {
    reject(`${kind} is owned by uid ${uid}, so that user could run pods as root`, `make root own it (chown root ${path})`);
  }
  const sticky = (mode & 0o1000) !== 0;
  if ((mode & 0o002) !== 0 && !(kind === "parent directory" && sticky)) {
    reject(`${kind} is writable by every user (mode ${octal}), so any user could run pods as root`, `remove that permission (chmod o-w ${path})`);
  }
  if ((mode & 0o020) !== 0 && gid !== 0) {
    findings.push({
      severity: "warning",
      path,
      detail: `${kind} is writable by group ${gid} (mode ${octal}), whose members can run pods as root; if that is not intended, run chmod g-w ${path}`,
    });
  }
  return findings;
}

/** Result of checking the manifests directory and its parents. */
export interface DirectoryTrust {
  /** Path of the manifests directory with every symbolic link resolved. */
  realPath: string;
  findings: TrustFinding[];
}

/**
 * Checks the manifests directory and every parent directory up to the root. The directory is
 * resolved first, so a directory reached through a symbolic link is checked where it really is.
 * Throws the file system's error when a path cannot be resolved or stat'ed.
 *
 * It blocks for one realpath(3) and one stat per path component, a few microseconds each on a
 * local file system, so every scan can afford to run it.
 */
export function checkDirectoryTrustSync(dir: string, options: TrustOptions): DirectoryTrust {
  const realPath = realpathSync.native(dir);
  const findings = checkOwnerAndMode(realPath, "manifests directory", statSync(realPath), options);
  for (let parent = dirname(realPath); ; parent = dirname(parent)) {
    findings.push(...checkOwnerAndMode(parent, "parent directory", statSync(parent), options));
    if (dirname(parent) === parent) break;
  }
  return { realPath, findings };
}

/** Checks the directory like checkDirectoryTrustSync and returns only the findings. */
export async function checkDirectoryTrust(dir: string, options: TrustOptions): Promise<TrustFinding[]> {
  return checkDirectoryTrustSync(dir, options).findings;
}

/**
 * Checks one manifest file: where it really is (`realPath`, resolved from the open file so a link
 * swapped after the check cannot escape it) and the owner and mode of the opened file.
 */
export function checkFileTrust(path: string, realPath: string, realDir: string, stats: BigIntStats, options: TrustOptions): TrustFinding[] {
  const findings: TrustFinding[] = [];
  if (!realPath.startsWith(realDir + sep)) {
    findings.push(
      options.allowSymlinksOutside
        ? { severity: "warning", path, detail: `file is a symbolic link to ${realPath}, outside the manifests directory; read because of ${ALLOW_SYMLINKS_FLAG}` }
        : {
            severity: "error",
            path,
            detail: `file is a symbolic link to ${realPath}, outside the manifests directory, so it is not read; move the file into the directory, or start tinylet with ${ALLOW_SYMLINKS_FLAG}`,
          },
    );
  }
  findings.push(...checkOwnerAndMode(path, "file", stats, options));
  return findings;
}
