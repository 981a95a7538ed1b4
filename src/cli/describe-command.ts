import { parseArgs } from "node:util";

import { CriClient } from "../cri/index.js";
import { socketPath } from "./defaults.js";
import { renderDescribe } from "./describe-render.js";
import { CommandError, UsageError } from "./output.js";
import { loadPods, statusAddressFlag } from "./pod-source.js";

export const DESCRIBE_HELP = `Usage: tinylet describe POD [flags]

Prints a pod's spec, status and events, as kubectl describe pod does. POD is NAME or
NAMESPACE/NAME. Reads the daemon's status API when it answers, and the runtime otherwise; the last
line says which. Only the daemon knows probe results, back-off and events.

Flags:
  -n, --namespace NS     the pod's namespace, when NAME alone is ambiguous
      --status-addr ADDR the daemon's status API (default $TINYLET_STATUS_ADDR or 127.0.0.1:10255);
                         "" reads the runtime only
      --socket PATH      CRI socket (default $TINYLET_SOCKET or /run/containerd/containerd.sock)
  -h, --help             print this help
`;

/** Runs `tinylet describe`; writes the description to `out`. */
export async function describeCommand(argv: string[], out: (text: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      namespace: { type: "string", short: "n" },
      "status-addr": { type: "string" },
      socket: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    out(DESCRIBE_HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError("describe takes exactly one POD argument (NAME or NAMESPACE/NAME)");
  }
  const argument = positionals[0] ?? "";
  const slash = argument.indexOf("/");
  const name = slash >= 0 ? argument.slice(slash + 1) : argument;
  const namespace = slash >= 0 ? argument.slice(0, slash) : values.namespace;
  const address = statusAddressFlag(values["status-addr"]);

  const loaded = await loadPods(address, () => new CriClient({ socketPath: socketPath(values.socket) }), true);
  const matches = loaded.list.items.filter((pod) => pod.metadata.name === name && (namespace === undefined || pod.metadata.namespace === namespace));
  if (matches.length === 0) {
    throw new CommandError(`pod ${argument} not found among tinylet's pods (see tinylet pods)`);
  }
  if (matches.length > 1) {
    const namespaces = matches.map((pod) => pod.metadata.namespace).join(", ");
    throw new UsageError(`pod name ${name} exists in namespaces ${namespaces}: give -n NAMESPACE or NAMESPACE/NAME`);
  }
  out(renderDescribe(matches[0]!, loaded.events, loaded.source, Date.now()));
  return 0;
}
