/**
 * One daemon per runtime. Two tinylets on one CRI socket each see the other's pods as pods with no
 * manifest and remove them, on every pass. kubelet guards against a second copy of itself with
 * --lock-file. tinylet listens on a Unix socket in the abstract namespace, named after the CRI
 * socket. The kernel releases that name when the process ends, so a crash leaves no stale lock.
 * NOTE: abstract socket names are per network namespace, so a daemon in another namespace that
 * reaches the same runtime is not seen.
 */
import { createHash } from "node:crypto";
import net from "node:net";
import path from "node:path";

import { CommandError } from "./output.js";

/** A held lock; `release` lets another daemon take the runtime. */
export interface RuntimeLock {
  readonly name: string;
  release(): Promise<void>;
}

/** Returns the abstract socket name that stands for the runtime at `socketPath`. */
export function lockName(socketPath: string): string {
  const digest = createHash("sha256").update(path.resolve(socketPath)).digest("hex").slice(0, 32);
  return `\0tinylet-runtime-${digest}`;
}

/**
 * Takes the lock of the runtime at `socketPath`. Rejects with a CommandError naming the socket when
 * another process has taken it.
 */
export async function lockRuntime(socketPath: string): Promise<RuntimeLock> {
  const name = lockName(socketPath);
  // Nothing talks to the lock: a connection is closed at once.
  const server = net.createServer((connection) => connection.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE") {
        reject(
          new CommandError(
            `another tinylet daemon is running on the runtime at ${socketPath}: stop it first, because two daemons on one runtime remove each other's pods`,
          ),
        );
      } else {
        reject(new CommandError(`cannot take the lock of the runtime at ${socketPath}: ${error.message}`, { cause: error }));
      }
    });
    server.listen(name, () => resolve());
  });
  // The lock must not keep the process alive on its own.
  server.unref();
  return {
    name,
    release: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
