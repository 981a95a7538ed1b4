import { mkdir } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";

import { DEFAULT_STATUS_ADDR, Metrics, parseStatusAddress } from "../api/index.js";
import { CriClient } from "../cri/index.js";
import { Logger, type LogFormat, type LogLevel } from "../log/logger.js";
import { ManifestDirectory, watchDirectory } from "../manifest/index.js";
import { ALLOW_INSECURE_FLAG, ALLOW_SYMLINKS_FLAG, defaultTrustOptions } from "../manifest/trust.js";
import { Controller } from "../reconcile/controller.js";
import { CRASH_AT_VARIABLE, readCrashTarget } from "../reconcile/crash-point.js";
import { PrivilegeLog } from "../reconcile/privilege-log.js";
import { DEFAULT_POD_LOG_ROOT } from "../reconcile/runtime-config.js";
import { nodeSettingsFromFlags } from "./node-flags.js";
import { DEFAULT_INTERVAL, DEFAULT_MANIFESTS, flagOrEnv, socketPath } from "./defaults.js";
import { parseDuration } from "./duration.js";
import { UsageError } from "./output.js";
import { createDaemonServices, startStatusApi } from "./daemon-services.js";
import { collectAfterWork } from "./heap.js";
import { lockRuntime } from "./runtime-lock.js";
import { checkManifestsDirectory } from "./manifest-trust.js";
import { VERSION } from "./version.js";

export const DAEMON_HELP = `Usage: tinylet [run] [flags]

Runs the daemon: keeps the CRI runtime in line with the Pod manifests in a directory. Adding a
file starts its pods, editing it replaces them, deleting it tears them down; containers that exit
are started again with a back-off. Stop with SIGINT or SIGTERM: pods keep running, and the next
start adopts them. One daemon runs per CRI socket: a second one on the same socket exits 1.

Flags:
      --socket PATH        CRI socket (default $TINYLET_SOCKET or /run/containerd/containerd.sock)
      --manifests DIR      manifests directory (default $TINYLET_MANIFESTS or /etc/tinylet/manifests)
      --interval DURATION  time between full passes, such as 2s or 500ms (default $TINYLET_INTERVAL or 2s);
                           file events start a pass at once
      --max-parallel N     most pods started or replaced at once (default 4); pods whose
                           manifest was deleted are all torn down at once
      --pod-log-dir DIR    root of container log directories (default /var/log/pods)
      --state-dir DIR      root of pod state: emptyDir volumes, /etc/hosts files, termination
                           messages (default /var/lib/tinylet)
      --node-name NAME     the node's name, for spec.nodeName (default: the host name, lowercased)
      --node-ip IP[,IP]    the node's addresses, for status.hostIP and hostNetwork pods' IPs
                           (default: the host's non-loopback addresses, IPv4 first)
      --kubelet-pod-names  name pods NAME-NODENAME, as kubelet names static pods
                           (default: the manifest's name)
      --cgroup-driver DRIVER
                           cgroupfs, systemd or none: how pod cgroup parents are named; must
                           match the runtime's setting (default cgroupfs)
      --log-format FORMAT  text or json (default text)
      --log-level LEVEL    debug, info, warn or error (default info)
      --stop-timeout DURATION
                           how long SIGINT or SIGTERM waits for in-flight work before exiting (default 10s)
      --status-addr ADDR   address of the read-only HTTP API (/healthz, /pods, /events, /metrics)
                           (default $TINYLET_STATUS_ADDR or 127.0.0.1:10255); "" turns it off
      --allow-insecure-manifests
                           read a manifests directory or files that a user other than root can
                           write, with a warning; without it tinylet rejects them, because
                           whoever writes a manifest runs containers as root
      --allow-symlinks-outside
                           read manifest files that are symbolic links to files outside the
                           manifests directory; without it they are reported and skipped
  -h, --help               print this help
`;

const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];
const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/** Runs the daemon until SIGINT or SIGTERM; resolves with the exit code. */
export async function daemonCommand(argv: string[], out: (text: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      socket: { type: "string" },
      manifests: { type: "string" },
      interval: { type: "string" },
      "max-parallel": { type: "string" },
      "pod-log-dir": { type: "string" },
      "state-dir": { type: "string" },
      "node-name": { type: "string" },
      "node-ip": { type: "string" },
      "kubelet-pod-names": { type: "boolean", default: false },
      "cgroup-driver": { type: "string" },
      "log-format": { type: "string" },
      "log-level": { type: "string" },
      "stop-timeout": { type: "string" },
      "status-addr": { type: "string" },
      "allow-insecure-manifests": { type: "boolean", default: false },
      "allow-symlinks-outside": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    out(DAEMON_HELP);
    return 0;
  }
  if (positionals.length > 0) {
    throw new UsageError(`unexpected argument "${positionals[0]}"`);
  }

  const intervalMs = parseDuration("--interval", flagOrEnv(values.interval, "TINYLET_INTERVAL", DEFAULT_INTERVAL));
  const stopTimeoutMs = parseDuration("--stop-timeout", values["stop-timeout"] ?? "10s");
  // Decimal digits only: Number() would also take "0x4", "4e0" and " 4".
  const maxParallelText = values["max-parallel"] ?? "4";
  const maxParallel = /^[0-9]+$/.test(maxParallelText) ? Number(maxParallelText) : Number.NaN;
  if (!Number.isSafeInteger(maxParallel) || maxParallel < 1) {
    throw new UsageError(`invalid --max-parallel "${values["max-parallel"]}": expected a whole number of at least 1`);
  }
  const format = oneOf("--log-format", values["log-format"] ?? "text", LOG_FORMATS);
  const level = oneOf("--log-level", values["log-level"] ?? "info", LOG_LEVELS);
  const manifestsDir = path.resolve(flagOrEnv(values.manifests, "TINYLET_MANIFESTS", DEFAULT_MANIFESTS));
  const socket = socketPath(values.socket);
  const podLogRoot = path.resolve(values["pod-log-dir"] ?? DEFAULT_POD_LOG_ROOT);
  const node = nodeSettingsFromFlags(values);
  const statusAddress = parseStatusAddressFlag(values["status-addr"]);

  const crashTarget = readCrashTarget();
  const trust = {
    ...defaultTrustOptions(),
    allowInsecure: values["allow-insecure-manifests"],
    allowSymlinksOutside: values["allow-symlinks-outside"],
  };

  // Held until the process exits, so a second daemon cannot start while this one finishes its work.
  await lockRuntime(socket);

  const log = new Logger({ level, format });
  log.info("starting tinylet", { version: VERSION, socket, manifests: manifestsDir, intervalMs, maxParallel });
  log.info("node", { nodeName: node.nodeName, nodeIPs: node.nodeIPs.join(","), stateDir: node.stateDir, cgroupDriver: node.cgroupDriver });
  // kubelet falls back the same way when it has no cluster DNS address, and says so in an event.
  log.info("no cluster DNS: pods with dnsPolicy ClusterFirst use the host's DNS settings, as dnsPolicy Default does", {
    servers: node.hostDns.servers.join(","),
  });
  if (crashTarget !== undefined) {
    log.warn("crash point armed: tinylet kills itself at this step (for fault tests only)", {
      variable: CRASH_AT_VARIABLE,
      step: crashTarget.step,
      pod: crashTarget.pod,
    });
  }

  try {
    await mkdir(manifestsDir, { recursive: true, mode: 0o755 });
  } catch (error) {
    log.error("cannot create manifests directory; retrying on each pass", { dir: manifestsDir, err: error });
  }
  await checkManifestsDirectory(manifestsDir, trust, log);
  if (trust.allowInsecure) log.warn(`${ALLOW_INSECURE_FLAG} is set: manifests that other users can write are read`);
  if (trust.allowSymlinksOutside) log.warn(`${ALLOW_SYMLINKS_FLAG} is set: manifest links to files outside the directory are read`);

  const metrics = new Metrics();
  const cri = new CriClient({ socketPath: socket, onCall: (event) => metrics.observeCriCall(event), reuseListItems: true });
  const services = createDaemonServices(cri, metrics, node, log, () => controller.requestPass());
  const manifests = new ManifestDirectory(manifestsDir, { trust });
  const privileges = new PrivilegeLog(log, [manifestsDir, path.dirname(socket)]);
  const watcher = watchDirectory(manifestsDir, () => controller.requestPass(), {
    onError: (error) => log.warn("file watch failed; relying on the interval", { dir: manifestsDir, err: error }),
  });
  // A watch stops when its directory is removed; each pass tries to start it again.
  const rearm = (): void => {
    if (!watcher.armed && watcher.rearm()) {
      log.info("file watch restarted", { dir: manifestsDir });
    }
  };
  const controller = new Controller({
    cri,
    manifests,
    logger: log,
    podLogRoot,
    intervalMs,
    maxParallel,
    onPass: rearm,
    onDesired: (pods) => privileges.report(pods),
    onSettled: collectAfterWork,
    node,
    ...services,
  });
  controller.start();
  const api = statusAddress === undefined ? undefined : await startStatusApi(statusAddress, services, controller, log);

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });

  log.info("stopping tinylet; pods keep running", { signal });
  // A second signal while waiting ends the process at once.
  const exitNow = (): void => process.exit(0);
  process.once("SIGINT", exitNow);
  process.once("SIGTERM", exitNow);

  watcher.close();
  await api?.close();
  const finished = await controller.stop(stopTimeoutMs);
  if (!finished) {
    log.warn("in-flight work did not finish in time; the next start completes it", { stopTimeoutMs });
  }
  cri.close();
  log.info("stopped tinylet");
  // A call abandoned above (a StopContainer waiting out a grace period) would keep the process alive.
  process.exit(0);
}

/** Reads `--status-addr`, else TINYLET_STATUS_ADDR, else the default; an empty value turns the API off. */
function parseStatusAddressFlag(flag: string | undefined): ReturnType<typeof parseStatusAddress> {
  const text = flag ?? process.env["TINYLET_STATUS_ADDR"] ?? DEFAULT_STATUS_ADDR;
  try {
    return parseStatusAddress(text);
  } catch (error) {
    throw new UsageError((error as Error).message.replace("status address", "--status-addr"));
  }
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`invalid ${flag} "${value}": expected one of ${allowed.join(", ")}`);
  }
  return value as T;
}
