import { open, type FileHandle } from "node:fs/promises";
import { parseArgs } from "node:util";

import { CriClient } from "../cri/index.js";
import { CriLogParser, type LogLine } from "../logs/cri-log.js";
import type { ObservedContainer } from "../reconcile/observed.js";
import { socketPath } from "./defaults.js";
import { CommandError, UsageError } from "./output.js";
import { readRuntime, type RuntimeView } from "./runtime-view.js";

export const LOGS_HELP = `Usage: tinylet logs POD [flags]

Prints a container's output from its CRI log file. POD is NAME or NAMESPACE/NAME.

Flags:
  -c, --container NAME   the container (required when the pod has more than one)
  -n, --namespace NS     the pod's namespace, when NAME alone is ambiguous
  -f, --follow           keep printing new output, and go on to the next instance after a restart
  -p, --previous         print the instance before the current one (the one that last exited)
      --tail N           print only the last N lines (default: all)
      --timestamps       prefix each line with its RFC 3339 timestamp
      --socket PATH      CRI socket (default $TINYLET_SOCKET or /run/containerd/containerd.sock)
  -h, --help             print this help
`;

/** How often a follower looks for new output and for a newer instance, in milliseconds. */
const FOLLOW_POLL_MS = 250;

/** Runs `tinylet logs`; writes output lines to `out`. */
export async function logsCommand(argv: string[], out: (text: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      container: { type: "string", short: "c" },
      namespace: { type: "string", short: "n" },
      follow: { type: "boolean", short: "f", default: false },
      previous: { type: "boolean", short: "p", default: false },
      tail: { type: "string" },
      timestamps: { type: "boolean", default: false },
      socket: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    out(LOGS_HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError("logs takes exactly one POD argument (NAME or NAMESPACE/NAME)");
  }
  const tail = values.tail === undefined ? undefined : Number(values.tail);
  if (tail !== undefined && (!Number.isInteger(tail) || tail < 0)) {
    throw new UsageError(`invalid --tail "${values.tail}": expected a whole number of lines`);
  }

  const cri = new CriClient({ socketPath: socketPath(values.socket) });
  try {
    const target = parseTarget(positionals[0] ?? "", values.namespace);
    const view = await readRuntime(cri);
    const sandboxId = findSandbox(view, target);
    const name = pickContainer(view, sandboxId, values.container, target.label);
    const instances = instancesOf(view, sandboxId, name);
    const instance = values.previous ? instances[1] : instances[0];
    if (instance === undefined) {
      const which = values.previous ? "no previous instance" : "no instance";
      throw new CommandError(`container ${name} of pod ${target.label} has ${which} on the runtime`);
    }

    const print = (line: LogLine): void => out((values.timestamps ? `${line.timestamp} ` : "") + line.message + "\n");
    let current = instance;
    // One parser per file, so an entry split across two reads is still joined, the first read included.
    let parser = new CriLogParser();
    let offset = await printFile(cri, current.id, tail, print, parser);
    if (!values.follow || values.previous) {
      return 0;
    }

    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_POLL_MS));
      offset = await printNew(cri, current.id, offset, parser, print);
      const newest = instancesOf(await readRuntime(cri), sandboxId, name)[0];
      if (newest !== undefined && newest.id !== current.id) {
        await printNew(cri, current.id, offset, parser, print);
        parser.flush().forEach(print);
        parser = new CriLogParser();
        current = newest;
        offset = 0;
      }
    }
  } finally {
    if (!values.follow) {
      cri.close();
    }
  }
}

interface Target {
  name: string;
  namespace: string | undefined;
  label: string;
}

function parseTarget(argument: string, namespaceFlag: string | undefined): Target {
  const slash = argument.indexOf("/");
  if (slash >= 0) {
    const namespace = argument.slice(0, slash);
    const name = argument.slice(slash + 1);
    return { name, namespace, label: argument };
  }
  return { name: argument, namespace: namespaceFlag, label: namespaceFlag === undefined ? argument : `${namespaceFlag}/${argument}` };
}

/** Returns the sandbox of the named pod, preferring a ready one, then the newest. */
function findSandbox(view: RuntimeView, target: Target): string {
  const matches = view.sandboxes.filter(
    (sandbox) => sandbox.name === target.name && (target.namespace === undefined || sandbox.namespace === target.namespace),
  );
  const namespaces = [...new Set(matches.map((sandbox) => sandbox.namespace))];
  if (matches.length === 0) {
    throw new CommandError(`pod ${target.label} not found among tinylet's pods (see tinylet pods)`);
  }
  if (namespaces.length > 1) {
    throw new UsageError(`pod name ${target.name} exists in namespaces ${namespaces.join(", ")}: give -n NAMESPACE or NAMESPACE/NAME`);
  }
  const best = [...matches].sort((a, b) => Number(b.ready) - Number(a.ready) || b.createdAtMs - a.createdAtMs)[0];
  return (best as (typeof matches)[number]).id;
}

function pickContainer(view: RuntimeView, sandboxId: string, requested: string | undefined, label: string): string {
  const names = [...new Set(view.instances.filter((c) => c.sandboxId === sandboxId).map((c) => c.name))].sort();
  if (requested !== undefined) {
    if (!names.includes(requested)) {
      throw new CommandError(`container ${requested} not found in pod ${label}; its containers: ${names.join(", ") || "none yet"}`);
    }
    return requested;
  }
  if (names.length === 1) {
    return names[0] as string;
  }
  if (names.length === 0) {
    throw new CommandError(`pod ${label} has no containers yet`);
  }
  throw new UsageError(`pod ${label} has several containers (${names.join(", ")}): choose one with -c`);
}

/** Returns the instances of a container in a sandbox, newest attempt first. */
function instancesOf(view: RuntimeView, sandboxId: string, name: string): ObservedContainer[] {
  return view.instances.filter((c) => c.sandboxId === sandboxId && c.name === name).sort((a, b) => b.attempt - a.attempt);
}

async function logPathOf(cri: CriClient, containerId: string): Promise<string> {
  const status = await cri.containerStatus(containerId);
  if (status.logPath === "") {
    throw new CommandError(`container ${containerId.slice(0, 13)} has no log file`);
  }
  return status.logPath;
}

/** Prints a whole log file (or its last `tail` lines) and returns the byte offset read up to. */
async function printFile(
  cri: CriClient,
  containerId: string,
  tail: number | undefined,
  print: (line: LogLine) => void,
  parser: CriLogParser,
): Promise<number> {
  const path = await logPathOf(cri, containerId);
  let file: FileHandle;
  try {
    file = await open(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      return 0;
    }
    throw new Error(`read log file ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const bytes = await file.readFile();
    const end = bytes.lastIndexOf(0x0a) + 1;
    const lines = parser.push(bytes.subarray(0, end).toString("utf8")).lines;
    let shown = lines;
    if (tail !== undefined) {
      // slice(-0) would return every line, so --tail 0 needs its own case.
      shown = tail === 0 ? [] : lines.slice(-tail);
    }
    shown.forEach(print);
    return end;
  } finally {
    await file.close();
  }
}

/** Prints complete lines written after `offset`; returns the new offset. */
async function printNew(
  cri: CriClient,
  containerId: string,
  offset: number,
  parser: CriLogParser,
  print: (line: LogLine) => void,
): Promise<number> {
  let path: string;
  try {
    path = await logPathOf(cri, containerId);
  } catch {
    return offset;
  }
  let file: FileHandle;
  try {
    file = await open(path, "r");
  } catch {
    return offset;
  }
  try {
    const { size } = await file.stat();
    const start = size < offset ? 0 : offset;
    if (size === start) {
      return start;
    }
    const buffer = Buffer.alloc(size - start);
    await file.read(buffer, 0, buffer.length, start);
    const end = buffer.lastIndexOf(0x0a) + 1;
    parser.push(buffer.subarray(0, end).toString("utf8")).lines.forEach(print);
    return start + end;
  } finally {
    await file.close();
  }
}
