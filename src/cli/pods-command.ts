import { parseArgs } from "node:util";

import { stringify } from "yaml";

import { CriClient } from "../cri/index.js";
import { podPrivileges, type PrivilegeFields } from "../manifest/privileges.js";
import { SANDBOX_ID_ANNOTATION } from "../status/pod-json.js";
import type { V1Pod } from "../status/k8s-types.js";
import { socketPath } from "./defaults.js";
import { formatId, parseOutputFormat, renderTable } from "./output.js";
import { ageColumn, readyColumn, restartsColumn, statusColumn } from "./pod-display.js";
import { loadPods, statusAddressFlag } from "./pod-source.js";

export const PODS_HELP = `Usage: tinylet pods [flags]

Lists tinylet's pods with their status, as kubectl get pods does, sorted by namespace and name.
Reads the daemon's status API when it answers, and the runtime otherwise; -o json prints the same
v1.PodList the API serves at /pods.

Flags:
  -o, --output FORMAT    table, wide, json or yaml (default table); wide adds the pod's IP, its
                         node and the host privileges it asks for (privileged containers,
                         host namespaces, sensitive hostPath volumes)
  -q, --quiet            print only the IDs of the pods' sandboxes
  -n, --namespace NS     only pods of this namespace
      --name NAME        only pods with this name
      --no-trunc         print full IDs
      --status-addr ADDR the daemon's status API (default $TINYLET_STATUS_ADDR or 127.0.0.1:10255);
                         "" reads the runtime only
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
      "status-addr": { type: "string" },
      socket: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    out(PODS_HELP);
    return 0;
  }
  const wide = values.output === "wide";
  const format = parseOutputFormat(wide ? "table" : values.output, ["table", "wide", "json", "yaml"]);
  const address = statusAddressFlag(values["status-addr"]);

  const { list } = await loadPods(address, () => new CriClient({ socketPath: socketPath(values.socket) }), false);
  const pods = list.items.filter(
    (pod) =>
      (values.namespace === undefined || pod.metadata.namespace === values.namespace) &&
      (values.name === undefined || pod.metadata.name === values.name),
  );

  if (values.quiet) {
    out(pods.map((pod) => pod.metadata.annotations?.[SANDBOX_ID_ANNOTATION]).filter((id) => id !== undefined).map((id) => id + "\n").join(""));
  } else if (format === "table") {
    const now = Date.now();
    const rows = pods.map((pod) => [
      formatId(pod.metadata.annotations?.[SANDBOX_ID_ANNOTATION] ?? "<none>", values["no-trunc"]),
      pod.metadata.name,
      pod.metadata.namespace,
      readyColumn(pod),
      statusColumn(pod),
      restartsColumn(pod, now),
      ageColumn(pod, now),
      ...(wide ? wideColumns(pod) : []),
    ]);
    const headers = ["POD ID", "NAME", "NAMESPACE", "READY", "STATUS", "RESTARTS", "AGE"];
    out(renderTable(wide ? [...headers, "IP", "NODE", "PRIVILEGES"] : headers, rows));
  } else {
    const filtered = { ...list, items: pods };
    out(format === "json" ? JSON.stringify(filtered, null, 2) + "\n" : stringify(filtered));
  }
  return 0;
}

/**
 * Returns the IP, NODE and PRIVILEGES columns of `-o wide`.
 * NOTE: read from the runtime alone (the daemon's API down), a pod's spec holds only hostNetwork,
 * so PRIVILEGES then lists only that.
 */
function wideColumns(pod: V1Pod): string[] {
  const spec = (pod.spec ?? {}) as PrivilegeFields & { nodeName?: string };
  const privileges = podPrivileges(spec);
  return [pod.status?.podIP || "<none>", spec.nodeName || "<none>", privileges.length > 0 ? privileges.join(",") : "<none>"];
}
