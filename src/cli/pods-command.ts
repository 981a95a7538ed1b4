import { parseArgs } from "node:util";

import { CriClient } from "../cri/index.js";
import { socketPath } from "./defaults.js";
import { formatAge, formatId, parseOutputFormat, renderItems, renderTable } from "./output.js";
import { readRuntime } from "./runtime-view.js";

export const PODS_HELP = `Usage: tinylet pods [flags]

Lists the pod sandboxes tinylet owns (label tinylet=true), newest first, read from the runtime.

Flags:
  -o, --output FORMAT    table, json or yaml (default table)
  -q, --quiet            print only sandbox IDs
  -n, --namespace NS     only pods of this namespace
      --name NAME        only pods with this name
      --no-trunc         print full IDs
      --socket PATH      CRI socket (default $TINYLET_SOCKET or /run/containerd/containerd.sock)
  -h, --help             print this help
`;

/** Runs `tinylet pods`; writes the listing to `out`. */
export async function podsCommand(argv: string[], out: (text: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      output: { type: "string", short: "o" },
      quiet: { type: "boolean", short: "q", default: false },
      namespace: { type: "string", short: "n" },
      name: { type: "string" },
      "no-trunc": { type: "boolean", default: false },
      socket: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    out(PODS_HELP);
    return 0;
  }
  const format = parseOutputFormat(values.output);

  const cri = new CriClient({ socketPath: socketPath(values.socket) });
  try {
    const view = await readRuntime(cri);
    const pods = view.pods.filter(
      (pod) =>
        (values.namespace === undefined || pod.namespace === values.namespace) &&
        (values.name === undefined || pod.name === values.name),
    );

    if (values.quiet) {
      out(pods.map((pod) => pod.id + "\n").join(""));
    } else if (format === "table") {
      const now = Date.now();
      const rows = pods.map((pod) => [
        formatId(pod.id, values["no-trunc"]),
        formatAge(Date.parse(pod.createdAt), now),
        pod.state === "SANDBOX_READY" ? "Ready" : "NotReady",
        pod.name,
        pod.namespace,
        String(pod.attempt),
      ]);
      out(renderTable(["POD ID", "CREATED", "STATE", "NAME", "NAMESPACE", "ATTEMPT"], rows));
    } else {
      out(renderItems(format, pods));
    }
    return 0;
  } finally {
    cri.close();
  }
}
