import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";

import { canonicalJson, parseManifest, podUID, type Pod, type PodContent } from "../../../src/manifest/index.js";

const BASE_TEXT = [
  "apiVersion: v1",
  "kind: Pod",
  "metadata:",
  "  name: web",
  "  namespace: default",
  "  labels: {app: web}",
  "spec:",
  "  containers:",
  "  - name: web",
  "    image: busybox:1.36",
  "    command: [sleep, '3600']",
  "    env: [{name: A, value: '1'}]",
  "    ports: [{containerPort: 80, hostPort: 8080}]",
  "",
].join("\n");

/** Pod content with a zero value in most kinds of field, for the encoding tests. */
const SAMPLE_CONTENT: PodContent = {
  name: "web",
  namespace: "default",
  labels: { b: "2", a: "1" },
  annotations: {},
  restartPolicy: "Always",
  terminationGracePeriodSeconds: 0,
  hostNetwork: false,
  initContainers: [],
  containers: [{ name: "web", image: "busybox", command: [], args: ["", "x"], env: [], ports: [{ containerPort: 80, protocol: "TCP" }] }],
};

function parsePod(file: string, text: string): Pod {
  const result = parseManifest(file, text);
  assert.deepEqual(result.errors, []);
  const pod = result.pods[0];
  assert.ok(pod);
  return pod;
}

describe("podUID", () => {
  it("is 32 hexadecimal characters", () => {
    assert.match(parsePod("web.yaml", BASE_TEXT).uid, /^[0-9a-f]{32}$/);
  });

  it("ignores file name, document index and line", () => {
    const first = parsePod("/etc/manifests/web.yaml", BASE_TEXT);
    const moved = parseManifest("/srv/other.json", `# leading comment\n---\nname: x\ncontainers: [{name: x, image: y}]\n---\n${BASE_TEXT}`);
    const second = moved.pods[1];
    assert.ok(second);
    assert.notEqual(second.source.line, first.source.line);
    assert.equal(second.uid, first.uid);
  });

  it("ignores formatting, key order and defaults", () => {
    const reordered = [
      "kind: Pod",
      "apiVersion: v1",
      "spec:",
      "  restartPolicy: Always",
      "  terminationGracePeriodSeconds: 30",
      "  hostNetwork: false",
      "  containers: [{image: 'busybox:1.36', name: web, command: [sleep, '3600'],",
      "    env: [{value: '1', name: A}], ports: [{protocol: TCP, hostPort: 8080, containerPort: 80}]}]",
      "metadata: {labels: {app: web}, name: web}",
      "status: {}",
      "",
    ].join("\n");
    assert.equal(parsePod("a.yaml", reordered).uid, parsePod("b.yaml", BASE_TEXT).uid);
  });

  const changes: [string, string, string][] = [
    ["name", "  name: web\n", "  name: web2\n"],
    ["namespace", "  namespace: default\n", "  namespace: other\n"],
    ["label", "{app: web}", "{app: web2}"],
    ["image", "busybox:1.36", "busybox:1.37"],
    ["command", "[sleep, '3600']", "[sleep, '3601']"],
    ["args", "    command: [sleep, '3600']\n", "    command: [sleep, '3600']\n    args: [x]\n"],
    ["env value", "value: '1'", "value: '2'"],
    ["env value to empty", "value: '1'", "value: ''"],
    ["host port", "hostPort: 8080", "hostPort: 8081"],
    ["container name", "  - name: web\n", "  - name: main\n"],
    ["restart policy", "spec:\n", "spec:\n  restartPolicy: Never\n"],
    ["grace period", "spec:\n", "spec:\n  terminationGracePeriodSeconds: 0\n"],
    ["annotation", "  labels: {app: web}\n", "  labels: {app: web}\n  annotations: {a: b}\n"],
  ];
  for (const [field, from, to] of changes) {
    it(`changes with the ${field}`, () => {
      assert.ok(BASE_TEXT.includes(from), `base text contains ${from}`);
      const changed = BASE_TEXT.replace(from, to);
      assert.notEqual(parsePod("web.yaml", changed).uid, parsePod("web.yaml", BASE_TEXT).uid);
    });
  }

  it("changes with hostNetwork", () => {
    const withHostNetwork = BASE_TEXT.replace("spec:\n", "spec:\n  hostNetwork: true\n").replace("hostPort: 8080", "hostPort: 80");
    const withoutHostNetwork = BASE_TEXT.replace("hostPort: 8080", "hostPort: 80");
    assert.notEqual(parsePod("web.yaml", withHostNetwork).uid, parsePod("web.yaml", withoutHostNetwork).uid);
  });

  it("hashes the documented canonical JSON", () => {
    const content = SAMPLE_CONTENT;
    // Written by hand from the rules on podUID: sorted keys, zero-valued properties left out,
    // array items always kept.
    const expectedJson =
      '{"containers":[{"args":["","x"],"image":"busybox","name":"web","ports":[{"containerPort":80,"protocol":"TCP"}]}],' +
      '"labels":{"a":"1","b":"2"},"name":"web","namespace":"default","restartPolicy":"Always"}';
    assert.equal(canonicalJson(content), expectedJson);
    assert.equal(podUID(content), createHash("sha256").update(expectedJson).digest("hex").slice(0, 32));
  });

  it("keeps UIDs of earlier versions", () => {
    // UIDs computed by an earlier version. A different UID here means that every running pod
    // would be replaced after an upgrade.
    const content = SAMPLE_CONTENT;
    assert.equal(podUID(content), "20af65fc3a1e698ff56ebc0feb02969e");

    // Multi-byte characters catch a change from UTF-8 to another encoding of the canonical JSON.
    const withUnicode: PodContent = { ...content, annotations: { note: "café ☕ 日本 𝄞" } };
    assert.equal(podUID(withUnicode), "66d5473fa3861dfc8edc3158ca03f34a");

    assert.equal(parsePod("web.yaml", BASE_TEXT).uid, "fbd2f5b86ae78533cd386340ad7a9bf1");
  });

  it("leaves out uid and source", () => {
    const pod = parsePod("web.yaml", BASE_TEXT);
    const elsewhere: Pod = { ...pod, uid: "0".repeat(32), source: { file: "/x.yaml", document: 3, line: 40 } };
    assert.equal(podUID(elsewhere), pod.uid);
  });
});
