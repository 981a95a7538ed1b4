import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";

import { parseManifest, parseManifestBytes, podUID, type Pod } from "../../../src/manifest/index.js";

/** Fixture directory, resolved from dist/test/unit/manifest at run time. */
const FIXTURES = new URL("../../../../test/data/manifests/", import.meta.url);

async function parseFixture(relativePath: string) {
  const url = new URL(relativePath, FIXTURES);
  return parseManifestBytes(relativePath, await readFile(url));
}

function lines(...text: string[]): string {
  return text.join("\n") + "\n";
}

/** The only pod of a result that must have no errors. */
function onlyPod(result: ReturnType<typeof parseManifest>): Pod {
  assert.deepEqual(result.errors.map((error) => error.message), []);
  assert.equal(result.pods.length, 1);
  const pod = result.pods[0];
  assert.ok(pod);
  return pod;
}

const KUBE_POD = lines(
  "apiVersion: v1",
  "kind: Pod",
  "metadata:",
  "  name: web",
  "spec:",
  "  containers:",
  "  - name: web",
  "    image: busybox:1.36",
);

describe("parseManifest: Kubernetes format", () => {
  it("fills Kubernetes defaults", () => {
    const pod = onlyPod(parseManifest("web.yaml", KUBE_POD));
    assert.equal(pod.name, "web");
    assert.equal(pod.namespace, "default");
    assert.equal(pod.restartPolicy, "Always");
    assert.equal(pod.terminationGracePeriodSeconds, 30);
    assert.equal(pod.hostNetwork, false);
    assert.deepEqual(pod.labels, {});
    assert.deepEqual(pod.annotations, {});
    assert.deepEqual(pod.containers, [{ name: "web", image: "busybox:1.36", command: [], args: [], env: [], ports: [] }]);
    assert.deepEqual(pod.source, { file: "web.yaml", document: 0, line: 1 });
    assert.equal(pod.uid, podUID(pod));
  });

  it("reads every supported field", () => {
    const text = lines(
      "apiVersion: v1",
      "kind: Pod",
      "metadata:",
      "  name: api",
      "  namespace: kube-system",
      "  labels: {tier: control-plane}",
      "  annotations: {example.com/revision: '7'}",
      "spec:",
      "  restartPolicy: OnFailure",
      "  hostNetwork: false",
      "  terminationGracePeriodSeconds: 0",
      "  containers:",
      "  - name: api",
      "    image: registry.example.com/api:v1",
      "    command: [/api]",
      "    args: [--port, '8443']",
      "    workingDir: /srv",
      "    env:",
      "    - {name: MODE, value: fast}",
      "    - {name: EMPTY}",
      "    ports:",
      "    - {name: https, containerPort: 8443, hostPort: 443, hostIP: 127.0.0.1, protocol: TCP}",
      "    - {containerPort: 53, protocol: UDP}",
    );
    const pod = onlyPod(parseManifest("api.yaml", text));
    assert.equal(pod.namespace, "kube-system");
    assert.deepEqual(pod.labels, { tier: "control-plane" });
    assert.deepEqual(pod.annotations, { "example.com/revision": "7" });
    assert.equal(pod.restartPolicy, "OnFailure");
    assert.equal(pod.terminationGracePeriodSeconds, 0);
    assert.deepEqual(pod.containers[0], {
      name: "api",
      image: "registry.example.com/api:v1",
      command: ["/api"],
      args: ["--port", "8443"],
      workingDir: "/srv",
      env: [
        { name: "MODE", value: "fast" },
        { name: "EMPTY", value: "" },
      ],
      ports: [
        { name: "https", containerPort: 8443, hostPort: 443, hostIP: "127.0.0.1", protocol: "TCP" },
        { containerPort: 53, protocol: "UDP" },
      ],
    });
  });

  it("defaults host ports to container ports with hostNetwork", () => {
    const text = KUBE_POD.replace("spec:\n", "spec:\n  hostNetwork: true\n") + "    ports: [{containerPort: 9090}]\n";
    const pod = onlyPod(parseManifest("web.yaml", text));
    assert.equal(pod.hostNetwork, true);
    assert.deepEqual(pod.containers[0]?.ports, [{ containerPort: 9090, hostPort: 9090, protocol: "TCP" }]);
  });

  it("accepts status and server-set metadata silently", () => {
    const text = KUBE_POD.replace("  name: web\n", "  name: web\n  creationTimestamp: null\n  resourceVersion: '12'\n") + "status: {}\n";
    const result = parseManifest("web.yaml", text);
    onlyPod(result);
    assert.deepEqual(result.warnings, []);
  });

  it("warns about unsupported and unknown fields", () => {
    const text = lines(
      "apiVersion: v1",
      "kind: Pod",
      "metadata:",
      "  name: web",
      "  uid: 0b6b2d5e",
      "  finalizers: [x]",
      "spec:",
      "  volumes: []",
      "  initContainers: []",
      "  containres: []",
      "  containers:",
      "  - name: web",
      "    image: busybox",
      "    volumeMounts: []",
      "    resources: {}",
      "    imagePullPolicy: Always",
      "    resizePolicy: []",
      "    securityContext: {}",
      "    imaage: typo",
      "    env:",
      "    - name: FROM_FILE",
      "      valueFrom: {fileKeyRef: {volumeName: v, path: env, key: k}}",
      "    - name: X",
      "      vaule: typo",
      "    ports:",
      "    - containerPort: 80",
      "      appProtocol: http",
      "status:",
      "  phase: Running",
      "extra: 1",
    );
    const result = parseManifest("web.yaml", text);
    const pod = onlyPod(result);
    assert.deepEqual(pod.containers[0]?.env, [{ name: "X", value: "" }]);
    assert.deepEqual(
      result.warnings.map((warning) => warning.message),
      [
        "web.yaml:5:3: metadata.uid: field is ignored; tinylet derives the pod UID from the manifest content",
        "web.yaml:6:3: metadata.finalizers: field is not supported by tinylet yet and is ignored",
        "web.yaml:10:3: spec.containres: unknown field; it is ignored",
        "web.yaml:17:5: spec.containers[0].resizePolicy: field is not supported by tinylet yet and is ignored",
        "web.yaml:19:5: spec.containers[0].imaage: unknown field; it is ignored",
        "web.yaml:22:19: spec.containers[0].env[0].valueFrom.fileKeyRef: field is not supported by tinylet yet and is ignored, so FROM_FILE is not set",
        "web.yaml:24:7: spec.containers[0].env[1].vaule: unknown field; it is ignored",
        "web.yaml:27:7: spec.containers[0].ports[0].appProtocol: unknown field; it is ignored",
        "web.yaml:28:1: status: field is ignored; status is reported by the node, not read from a manifest",
        "web.yaml:30:1: extra: unknown field; it is ignored",
      ],
    );
    assert.ok(result.warnings.every((warning) => warning.severity === "warning"));
  });

  it("warns about a duplicate env name", () => {
    const text = KUBE_POD + lines("    env:", "    - {name: A, value: '1'}", "    - {name: A, value: '2'}");
    const result = parseManifest("web.yaml", text);
    assert.deepEqual(onlyPod(result).containers[0]?.env, [
      { name: "A", value: "1" },
      { name: "A", value: "2" },
    ]);
    assert.deepEqual(
      result.warnings.map((warning) => warning.message),
      ["web.yaml:11:14: spec.containers[0].env[1].name: duplicate variable A (also set by spec.containers[0].env[0]); the later value is used"],
    );
  });

  it("warns about an unknown YAML tag", () => {
    const result = parseManifest("web.yaml", KUBE_POD.replace("image: busybox:1.36", "image: !custom busybox:1.36"));
    assert.equal(onlyPod(result).containers[0]?.image, "busybox:1.36");
    assert.deepEqual(
      result.warnings.map((warning) => warning.message),
      ["web.yaml:8:12: YAML: unresolved tag: !custom"],
    );
  });

  it("reads JSON", async () => {
    const result = await parseFixture("formats/kube.json");
    const pod = onlyPod(result);
    assert.deepEqual(result.warnings, []);
    assert.equal(pod.namespace, "tinylet-test");
    assert.equal(pod.hostNetwork, true);
    assert.equal(pod.terminationGracePeriodSeconds, 5);
    assert.deepEqual(pod.labels, { "app.kubernetes.io/name": "json-web" });
    assert.deepEqual(pod.containers[0]?.ports, [{ containerPort: 8081, hostPort: 8081, protocol: "TCP" }]);
    assert.equal(pod.source.line, 1);
  });

  it("reads flow style with trailing commas", async () => {
    const result = await parseFixture("formats/flow.yaml");
    const pod = onlyPod(result);
    assert.deepEqual(result.warnings, []);
    assert.equal(pod.name, "flow-web");
    assert.equal(pod.restartPolicy, "Never");
    assert.deepEqual(pod.annotations, { "example.com/note": "flow style" });
    assert.deepEqual(pod.containers[0]?.args, ["sleep", "3600"]);
    assert.equal(pod.source.line, 3);
  });

  it("applies anchors, aliases and merge keys", async () => {
    const pod = onlyPod(await parseFixture("formats/merge.yaml"));
    assert.deepEqual(
      pod.containers.map((container) => [container.name, container.image, container.command, container.args]),
      [
        ["first", "docker.io/library/busybox:1.36", ["sleep", "3600"], []],
        ["second", "docker.io/library/busybox:1.36", ["sleep", "3600"], ["sleep", "3600"]],
      ],
    );
  });
});

describe("parseManifest: small format", () => {
  it("reads all small-format fields", async () => {
    const result = await parseFixture("formats/small.yaml");
    const pod = onlyPod(result);
    assert.deepEqual(result.warnings, []);
    assert.equal(pod.name, "echo");
    assert.equal(pod.namespace, "default");
    assert.equal(pod.restartPolicy, "OnFailure");
    assert.equal(pod.terminationGracePeriodSeconds, 30);
    assert.deepEqual(pod.containers, [
      {
        name: "echo",
        image: "docker.io/library/busybox:1.36",
        command: ["sh", "-c"],
        args: ["echo hello; sleep 3600"],
        workingDir: "/tmp",
        env: [{ name: "GREETING", value: "hello" }],
        ports: [{ name: "http", containerPort: 8080, hostPort: 18080, protocol: "TCP" }],
      },
    ]);
  });

  it("equals the same pod in Kubernetes format", () => {
    const small = onlyPod(parseManifest("a.yaml", lines("name: web", "containers: [{name: web, image: 'busybox:1.36'}]")));
    const kube = onlyPod(parseManifest("b.yaml", KUBE_POD));
    assert.equal(small.uid, kube.uid);
  });

  it("warns about fields the small format lacks", () => {
    const text = lines("name: web", "hostNetwork: true", "containers:", "- name: web", "  image: busybox", "  tty: true");
    const result = parseManifest("web.yaml", text);
    onlyPod(result);
    assert.deepEqual(
      result.warnings.map((warning) => warning.message),
      [
        "web.yaml:2:1: hostNetwork: unknown field; the small format has name, namespace, restartPolicy and containers (use apiVersion v1, kind Pod for more)",
        "web.yaml:6:3: containers[0].tty: unknown field; a small-format container has name, image, command, args, workingDir, env and ports",
      ],
    );
  });
});

describe("parseManifest: documents", () => {
  it("reads every document of a file", async () => {
    const result = await parseFixture("mixed/multi-doc.yaml");
    assert.deepEqual(result.errors, []);
    assert.equal(result.documents, 2);
    assert.deepEqual(
      result.pods.map((pod) => [pod.name, pod.source.document, pod.source.line]),
      [
        ["first-doc", 0, 2],
        ["second-doc", 1, 13],
      ],
    );
  });

  it("skips empty documents", () => {
    const text = lines("---", "# only a comment", "---", KUBE_POD.trimEnd(), "---", "---");
    const result = parseManifest("web.yaml", text);
    const pod = onlyPod(result);
    assert.equal(result.documents, 1);
    assert.deepEqual(pod.source, { file: "web.yaml", document: 1, line: 4 });
  });

  it("keeps valid documents beside a failing one", () => {
    const text = lines(KUBE_POD.trimEnd(), "---", "kind: DaemonSet", "---", KUBE_POD.replaceAll("web", "other").trimEnd());
    const result = parseManifest("web.yaml", text);
    assert.deepEqual(
      result.pods.map((pod) => [pod.name, pod.source.document]),
      [
        ["web", 0],
        ["other", 2],
      ],
    );
    assert.deepEqual(
      result.errors.map((error) => error.message),
      ["web.yaml:10:7: kind DaemonSet is not a Pod; only apiVersion v1, kind Pod manifests are run"],
    );
    assert.equal(result.documents, 3);
  });

  it("returns nothing for empty text", () => {
    for (const text of ["", "\n\n", "# comment only\n"]) {
      assert.deepEqual(parseManifest("web.yaml", text), { pods: [], errors: [], warnings: [], documents: 0 });
    }
  });

  it("reads a byte order mark", () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(KUBE_POD)]);
    assert.equal(onlyPod(parseManifestBytes("web.yaml", bytes)).name, "web");
  });
});
