/**
 * File-system events for the manifests directory, coalesced into one callback per burst. Events only
 * signal that something may have changed; the caller rescans the directory to learn what. The caller
 * should still rescan on a timer, because events can be lost (inotify queue overflow, network file
 * systems) and because a removed directory stops delivering them until rearm() succeeds.
 */
import { watch, type FSWatcher } from "node:fs";
import { basename, resolve } from "node:path";

import { isManifestFileName } from "./file-names.js";

/** Options of watchDirectory. */
export interface WatchOptions {
  /** Time in ms to wait after an event for more events before calling onChange; default 0. */
  debounceMs?: number;
  /**
   * Called when watching cannot start (before watchDirectory returns, if the directory is missing)
   * or stops because the directory was removed or fs.watch failed. After a stop, onChange is called
   * too, so the caller rescans. Call rearm() once the directory exists again.
   */
  onError?: (err: Error) => void;
  /** Whether the watcher keeps the Node.js process alive; default true. */
  persistent?: boolean;
}

/** A running watch on a directory. */
export interface DirectoryWatcher {
  /** Whether fs.watch is currently active. */
  readonly armed: boolean;
  /** Starts watching again if the watcher stopped; returns whether it is armed afterwards. */
  rearm(): boolean;
  /** Stops watching and cancels a pending onChange call. */
  close(): void;
}

/**
 * Default debounce of watchDirectory in ms. Events read together still make one call; a longer
 * wait would delay every pod start by as much.
 */
export const DEFAULT_WATCH_DEBOUNCE_MS = 0;

/**
 * Watches `dir` (not its subdirectories) and calls `onChange` once per burst of events about
 * manifest file names, names starting with "..", or the directory itself. Events for other names,
 * such as editor swap files, are ignored. The debounce timer is unref'd.
 */
export function watchDirectory(dir: string, onChange: () => void, options: WatchOptions = {}): DirectoryWatcher {
  const path = resolve(dir);
  const ownName = basename(path);
  const debounceMs = options.debounceMs ?? DEFAULT_WATCH_DEBOUNCE_MS;
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  let directoryEvent = false;
  let closed = false;

  const fail = (err: Error): void => {
    disarm();
    options.onError?.(new Error(`watch of manifest directory ${path} failed: ${err.message}`, { cause: err }));
    schedule(false);
  };

  const disarm = (): void => {
    watcher?.close();
    watcher = undefined;
  };

  const schedule = (aboutDirectory: boolean): void => {
    if (closed) return;
    directoryEvent ||= aboutDirectory;
    if (timer !== undefined) return;
    timer = setTimeout(fire, debounceMs);
    timer.unref();
  };

  const fire = (): void => {
    timer = undefined;
    if (closed) return;

    // On Linux, removing or renaming the watched directory is reported as a rename event with the
    // directory's own name, after which no more events arrive. Watching the path again covers a
    // directory that was replaced, and reports one that is gone.
    if (directoryEvent) {
      directoryEvent = false;
      disarm();
      arm();
    }
    onChange();
  };

  const arm = (): boolean => {
    if (closed) return false;
    if (watcher !== undefined) return true;
    try {
      const started = watch(path, { persistent: options.persistent ?? true });
      started.on("change", (_event, filename) => {
        const name = typeof filename === "string" ? filename : filename?.toString();
        if (name === undefined || name === null || name === ownName) schedule(name === ownName);
        // Names starting with ".." are the links and directories a Kubernetes-style atomic writer
        // swaps (`..data`, `..2024_01_01_...`): manifests linked through them change with them.
        else if (isManifestFileName(name) || name.startsWith("..")) schedule(false);
      });
      started.on("error", (err) => {
        if (watcher === started) fail(err);
      });
      watcher = started;
      return true;
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      options.onError?.(new Error(`failed to watch manifest directory ${path}: ${reason}`, { cause: err }));
      return false;
    }
  };

  arm();
  return {
    get armed() {
      return watcher !== undefined;
    },
    rearm: arm,
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      disarm();
    },
  };
}
