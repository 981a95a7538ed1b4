import { parseArgs } from "node:util";

import { CriError } from "../cri/index.js";
import { convertCommand } from "./convert-command.js";
import { daemonCommand, DAEMON_HELP } from "./daemon-command.js";
import { describeCommand } from "./describe-command.js";
import { logsCommand } from "./logs-command.js";
import { UsageError } from "./output.js";
import { podsCommand } from "./pods-command.js";
import { psCommand } from "./ps-command.js";
import { validateCommand } from "./validate-command.js";
import { VERSION } from "./version.js";

const HELP = `tinylet ${VERSION}: kubelet's static-pod path. Keeps a CRI runtime (containerd) in line with a
directory of Pod manifests.

Usage: tinylet [COMMAND] [flags]

Commands:
  run         run the daemon (the default when no command is given)
  pods        list tinylet's pods with READY, STATUS, RESTARTS and AGE
  describe    print a pod's spec, status and events
  ps          list the containers tinylet owns
  logs        print a container's output
  validate    check manifest files offline and exit non-zero on any error
  convert     print the Kubernetes Pod YAML of a small-format manifest
  version     print the version

Run 'tinylet COMMAND --help' for a command's flags.

${DAEMON_HELP}`;

type Command = (argv: string[], out: (text: string) => void) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  run: daemonCommand,
  pods: podsCommand,
  describe: describeCommand,
  ps: psCommand,
  logs: logsCommand,
  validate: validateCommand,
  convert: convertCommand,
  version: async (argv, out) => {
    const { values } = parseArgs({ args: argv, options: { help: { type: "boolean", short: "h", default: false } } });
    if (values.help) {
      out("Usage: tinylet version\n\nPrints tinylet's version.\n");
      return 0;
    }
    out(`tinylet ${VERSION}\n`);
    return 0;
  },
};

/** Runs the command line; returns the exit code. Results go to stdout, diagnostics to stderr. */
export async function main(argv: string[]): Promise<number> {
  const out = (text: string): void => {
    process.stdout.write(text);
  };
  const [first, ...rest] = argv;

  if (first === "--help" || first === "-h" || first === "help") {
    out(HELP);
    return 0;
  }
  if (first === "--version") {
    out(`tinylet ${VERSION}\n`);
    return 0;
  }

  const named = first !== undefined && !first.startsWith("-");
  const command = named ? COMMANDS[first] : daemonCommand;
  if (command === undefined) {
    process.stderr.write(`tinylet: unknown command "${first}"; commands: ${Object.keys(COMMANDS).join(", ")}\n`);
    return 2;
  }

  try {
    return await command(named ? rest : argv, out);
  } catch (error) {
    return reportError(error, named ? first : "run");
  }
}

/** Prints one line for an error without a stack trace, unless TINYLET_DEBUG is set; returns the exit code. */
function reportError(error: unknown, command: string): number {
  if (process.env["TINYLET_DEBUG"]) {
    console.error(error);
  }
  const code = (error as { code?: unknown }).code;
  if (error instanceof UsageError || (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS"))) {
    process.stderr.write(`tinylet ${command}: ${usageMessage(error as Error, code)} (see tinylet ${command} --help)\n`);
    return 2;
  }
  if (error instanceof CriError) {
    process.stderr.write(`tinylet ${command}: ${error.message}\n`);
    return 1;
  }
  process.stderr.write(`tinylet ${command}: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
}

/**
 * Returns the message of a usage mistake. node's own text for an unknown option goes on about
 * placing arguments that start with "-" after "--", which does not help with a mistyped flag, so
 * only the option is named.
 */
function usageMessage(error: Error, code: unknown): string {
  const unknown = code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" ? /^Unknown option '([^']*)'/.exec(error.message) : null;
  return unknown === null ? error.message : `unknown option "${unknown[1]}"`;
}
