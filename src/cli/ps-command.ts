import { parseArgs } from "node:util";

import { CriClient } from "../cri/index.js";
import { socketPath } from "./defaults.js";
import { formatAge, formatId, parseOutputFormat, renderItems, renderTable } from "./output.js";
import { readRuntime } from "./runtime-view.js";

export const PS_HELP = `Usage: tinylet ps [flags]

Lists the containers tinylet owns, newest first: running ones, or every instance with -a.

Flags:
  -a, --all              include created and exited instances
  -o, --output FORMAT    table, json or yaml (default table)
  -q, --quiet            print only container IDs
      --pod NAME         only containers of pods with this name
  -n, --namespace NS     only containers of pods in this namespace
      --no-trunc         print full IDs
      --socket PATH      CRI socket (default $TINYLET_SOCKET or /run/containerd/containerd.sock)
  -h, --help             print this help
`;

/** Runs `tinylet ps`; writes the listing to `out`. */
export async function psCommand(argv: string[], out: (text: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      all: { type: "boolean", short: "a", default: false },
      output: { type: "string", short: "o" },
      quiet: { type: "boolean", short: "q", default: false },
      pod: { type: "string" },
      namespace: { type: "string", short: "n" },
      "no-trunc": { type: "boolean", default: false },
      socket: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    out(PS_HELP);
    return 0;
  }
  const format = parseOutputFormat(values.output);

  const cri = new CriClient({ socketPath: socketPath(values.socket) });
  try {
    const view = await readRuntime(cri);
    const containers = view.containers.filter(
      (container) =>
        (values.all || container.state === "CONTAINER_RUNNING") &&
        (values.pod === undefined || container.pod === values.pod) &&
        (values.namespace === undefined || container.namespace === values.namespace),
    );

    if (values.quiet) {
      out(containers.map((container) => container.id + "\n").join(""));
    } else if (format === "table") {
      const now = Date.now();
      const noTrunc = values["no-trunc"];
      const rows = containers.map((container) => [
        formatId(container.id, noTrunc),
        container.image,
        formatAge(Date.parse(container.createdAt), now),
        stateName(container.state),
        container.name,
        String(container.attempt),
        formatId(container.podSandboxId, noTrunc),
        container.pod,
      ]);
      out(renderTable(["CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD ID", "POD"], rows));
    } else {
      out(renderItems(format, containers));
    }
    return 0;
  } finally {
    cri.close();
  }
}

/** Returns crictl's short state name: Created, Running, Exited or Unknown. */
function stateName(state: string): string {
  const word = state.replace("CONTAINER_", "").toLowerCase();
  return word.charAt(0).toUpperCase() + word.slice(1);
}
