/**
 * tinylet's small format: a document without `kind` whose top level has `name`, an optional
 * `namespace` (default `default`), an optional `restartPolicy` (default Always) and `containers`.
 * Each container has `name`, `image`, and optionally `command`, `args`, `workingDir`, `env` and
 * `ports`, with the same meaning and checks as in a Kubernetes Pod:
 *
 *     name: web
 *     containers:
 *     - name: web
 *       image: docker.io/library/nginx:1.27
 *       ports: [{containerPort: 80, hostPort: 8080}]
 *
 * Labels, annotations, hostNetwork and the grace period need the Kubernetes format.
 */
import type { DocumentReader, Field, Value } from "./document-reader.js";
import { readContainers } from "./containers.js";
import { DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS, type PodContent } from "./pod.js";
import { fieldValue, readNamespace, readPodName, readRestartPolicy } from "./pod-fields.js";

const SMALL_FORMAT_FIELDS = new Set(["name", "namespace", "restartPolicy", "containers"]);

/** Reads a small-format document whose root fields are `fields`; undefined when it has errors. */
export function readSmallPod(reader: DocumentReader, root: Value, fields: Map<string, Field>): PodContent | undefined {
  const mark = reader.problems.errors.length;
  for (const field of fields.values()) {
    if (SMALL_FORMAT_FIELDS.has(field.name)) continue;
    reader.warning(
      field.key,
      field.value.path,
      "unknown field; the small format has name, namespace, restartPolicy and containers (use apiVersion v1, kind Pod for more)",
    );
  }

  const name = readPodName(reader, fieldValue(fields, "name", root));
  const namespace = readNamespace(reader, fieldValue(fields, "namespace", root));
  const restartPolicy = readRestartPolicy(reader, fieldValue(fields, "restartPolicy", root));
  const containers = readContainers(reader, fieldValue(fields, "containers", root), "small", false);

  if (reader.problems.errors.length > mark) return undefined;
  if (name === undefined || namespace === undefined || restartPolicy === undefined || containers === undefined) {
    return undefined;
  }
  return {
    name,
    namespace,
    labels: {},
    annotations: {},
    restartPolicy,
    terminationGracePeriodSeconds: DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS,
    hostNetwork: false,
    initContainers: [],
    containers,
  };
}
