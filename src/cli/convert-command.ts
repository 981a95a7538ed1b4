import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";

import { isMap, parseAllDocuments, stringify } from "yaml";

import { parseManifest, type Container, type Pod } from "../manifest/index.js";
import { UsageError } from "./output.js";

export const CONVERT_HELP = `Usage: tinylet convert FILE [flags]

Prints the Kubernetes Pod (apiVersion v1, kind Pod) equivalent of each small-format pod in FILE,
as YAML documents separated by ---, for kubectl apply or a kubelet's staticPodPath. The result
describes the same pod, so tinylet gives it the same UID and does not restart it when the file
is replaced. Errors and warnings go to stderr; exits 1 when FILE has an error or holds no
small-format pod.

Flags:
  -h, --help     print this help
`;

/** Runs `tinylet convert`; writes the YAML to `out` and returns the exit code. */
export async function convertCommand(argv: string[], out: (text: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: "boolean", short: "h", default: false } },
  });
  if (values.help) {
    out(CONVERT_HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? "convert needs a FILE" : `convert takes one FILE, got ${positionals.length}`);
  }

  const file = positionals[0] ?? "";
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new Error(`failed to read ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }

  const result = parseManifest(file, text);
  for (const problem of [...result.errors, ...result.warnings]) {
    process.stderr.write(`${problem.severity}: ${problem.message}\n`);
  }
  if (result.errors.length > 0) return 1;

  const smallDocuments = smallFormatDocuments(text);
  const pods = result.pods.filter((pod) => smallDocuments.has(pod.source.document));
  if (pods.length === 0) {
    process.stderr.write(`tinylet convert: ${file} contains no small-format pod; Kubernetes Pod manifests need no conversion\n`);
    return 1;
  }
  out(pods.map((pod) => stringify(kubernetesPod(pod))).join("---\n"));
  return 0;
}

/** Returns the indexes of the documents written in the small format: maps without kind or apiVersion. */
function smallFormatDocuments(text: string): Set<number> {
  const indexes = new Set<number>();
  parseAllDocuments(text).forEach((doc, index) => {
    const contents = doc.contents;
    if (isMap(contents) && !contents.has("kind") && !contents.has("apiVersion")) indexes.add(index);
  });
  return indexes;
}

/** Builds the Kubernetes Pod object of a small-format pod, leaving out fields at their defaults. */
export function kubernetesPod(pod: Pod): Record<string, unknown> {
  const spec: Record<string, unknown> = {};
  if (pod.restartPolicy !== "Always") spec["restartPolicy"] = pod.restartPolicy;
  spec["containers"] = pod.containers.map(kubernetesContainer);
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: pod.name, namespace: pod.namespace },
    spec,
  };
}

function kubernetesContainer(container: Container): Record<string, unknown> {
  const result: Record<string, unknown> = { name: container.name, image: container.image };
  if (container.command.length > 0) result["command"] = container.command;
  if (container.args.length > 0) result["args"] = container.args;
  if (container.workingDir) result["workingDir"] = container.workingDir;
  if (container.env.length > 0) result["env"] = container.env.map((variable) => ({ name: variable.name, value: variable.value }));
  if (container.ports.length > 0) {
    result["ports"] = container.ports.map((port) => {
      const entry: Record<string, unknown> = {};
      if (port.name) entry["name"] = port.name;
      entry["containerPort"] = port.containerPort;
      if (port.hostPort) entry["hostPort"] = port.hostPort;
      if (port.hostIP) entry["hostIP"] = port.hostIP;
      if (port.protocol !== "TCP") entry["protocol"] = port.protocol;
      return entry;
    });
  }
  return result;
}
