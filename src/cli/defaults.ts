/** Flag defaults shared by every command, and the environment variables that override them. */

/** Default CRI socket: containerd's. Environment: TINYLET_SOCKET. */
export const DEFAULT_SOCKET = "/run/containerd/containerd.sock";

/** Default manifests directory. Environment: TINYLET_MANIFESTS. */
export const DEFAULT_MANIFESTS = "/etc/tinylet/manifests";

/** Default time between full passes. Environment: TINYLET_INTERVAL. */
export const DEFAULT_INTERVAL = "2s";

/** Returns the flag's value, else the environment variable's, else the default. */
export function flagOrEnv(flag: string | undefined, variable: string, fallback: string): string {
  if (flag !== undefined && flag !== "") {
    return flag;
  }
  const fromEnv = process.env[variable];
  return fromEnv !== undefined && fromEnv !== "" ? fromEnv : fallback;
}

/** Returns the CRI socket path from `--socket`, TINYLET_SOCKET or the default. */
export function socketPath(flag: string | undefined): string {
  return flagOrEnv(flag, "TINYLET_SOCKET", DEFAULT_SOCKET);
}
