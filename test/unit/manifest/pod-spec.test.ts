import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { effectivePullPolicy, parseManifest, podUID, type Pod } from "../../../src/manifest/index.js";

/** Lines 1-5 of a Kubernetes Pod; spec lines follow from line 6, indented by two spaces. */
function podText(...spec: string[]): string {
  return ["apiVersion: v1", "kind: Pod", "metadata:", "  name: web", "spec:", ...spec.map((line) => `  ${line}`), ""].join("\n");
}

const CONTAINERS = ["containers:", "- name: main", "  image: img:1"];

function read(text: string): Pod {
  const result = parseManifest("web.yaml", text);
  assert.deepEqual(result.errors.map((error) => error.message), []);
  assert.deepEqual(result.warnings.map((warning) => warning.message), []);
  const pod = result.pods[0];
  assert.ok(pod);
  return pod;
}

describe("Pod spec fields", () => {
  it("reads volumes, mounts, security, resources and DNS", () => {
    const pod = read(
      podText(
        "hostPID: true",
        "hostIPC: true",
        "hostname: box",
        "subdomain: sub",
        "hostAliases: [{ip: 10.0.0.1, hostnames: [a.example]}]",
        "dnsPolicy: None",
        "dnsConfig: {nameservers: [192.0.2.1], searches: [x.example], options: [{name: ndots, value: '2'}, {name: edns0}]}",
        "securityContext: {runAsUser: 1, runAsGroup: 2, fsGroup: 3, supplementalGroups: [4], runAsNonRoot: true}",
        "priorityClassName: system-node-critical",
        "volumes:",
        "- {name: data, emptyDir: {medium: Memory, sizeLimit: 64Mi}}",
        "- {name: conf, hostPath: {path: /etc/app, type: DirectoryOrCreate}}",
        ...CONTAINERS,
        "  imagePullPolicy: Never",
        "  stdin: true",
        "  tty: true",
        "  terminationMessagePath: /tmp/msg",
        "  env: [{name: IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}]",
        "  resources: {limits: {cpu: '2', memory: 1Gi}, requests: {cpu: 0.5}}",
        "  securityContext: {privileged: true, capabilities: {add: [NET_ADMIN]}, readOnlyRootFilesystem: true}",
        "  volumeMounts:",
        "  - {name: data, mountPath: /data, readOnly: true, subPath: sub, mountPropagation: Bidirectional}",
      ),
    );
    assert.deepEqual(pod.volumes, [
      { name: "data", emptyDir: { medium: "Memory", sizeLimitBytes: 64 * 1024 * 1024 } },
      { name: "conf", hostPath: { path: "/etc/app", type: "DirectoryOrCreate" } },
    ]);
    assert.equal(pod.hostPID, true);
    assert.equal(pod.hostIPC, true);
    assert.equal(pod.hostname, "box");
    assert.equal(pod.subdomain, "sub");
    assert.deepEqual(pod.hostAliases, [{ ip: "10.0.0.1", hostnames: ["a.example"] }]);
    assert.equal(pod.dnsPolicy, "None");
    assert.deepEqual(pod.dnsConfig, { nameservers: ["192.0.2.1"], searches: ["x.example"], options: [{ name: "ndots", value: "2" }, { name: "edns0" }] });
    assert.deepEqual(pod.securityContext, { runAsUser: 1, runAsGroup: 2, fsGroup: 3, supplementalGroups: [4], runAsNonRoot: true });
    assert.equal(pod.priorityClassName, "system-node-critical");

    const container = pod.containers[0];
    assert.ok(container);
    assert.equal(container.imagePullPolicy, "Never");
    assert.equal(container.stdin, true);
    assert.equal(container.tty, true);
    assert.equal(container.terminationMessagePath, "/tmp/msg");
    assert.deepEqual(container.env, [{ name: "IP", value: "", fieldPath: "status.podIP" }]);
    assert.deepEqual(container.resources, { limits: { cpuMillis: 2000, memoryBytes: 1024 ** 3 }, requests: { cpuMillis: 500, memoryBytes: 1024 ** 3 } });
    assert.deepEqual(container.securityContext, { privileged: true, capabilities: { add: ["NET_ADMIN"] }, readOnlyRootFilesystem: true });
    assert.deepEqual(container.volumeMounts, [{ name: "data", mountPath: "/data", readOnly: true, subPath: "sub", mountPropagation: "Bidirectional" }]);
  });

  it("reads init containers in order", () => {
    const pod = read(podText("initContainers:", "- {name: first, image: img:1}", "- {name: second, image: img:2}", ...CONTAINERS));
    assert.deepEqual(pod.initContainers.map((container) => container.name), ["first", "second"]);
  });

  it("accepts scheduling fields without a warning", () => {
    const pod = read(
      podText(
        "nodeName: other-node",
        "nodeSelector: {disk: ssd}",
        "tolerations: [{operator: Exists}]",
        "affinity: {}",
        "schedulerName: custom",
        "priority: 2000001000",
        "serviceAccountName: builder",
        "automountServiceAccountToken: false",
        "enableServiceLinks: false",
        "os: {name: linux}",
        ...CONTAINERS,
      ),
    );
    assert.equal(pod.serviceAccountName, "builder");
  });

  it("keeps the UID of a pod that uses none of the new fields", () => {
    const pod = read(podText(...CONTAINERS));
    const { uid, source, ...content } = pod;
    assert.deepEqual(Object.keys(content).sort(), ["annotations", "containers", "hostNetwork", "initContainers", "labels", "name", "namespace", "restartPolicy", "terminationGracePeriodSeconds"]);
    assert.equal(uid, podUID(content));
    assert.ok(source);
  });

  const pullCases: [string, string | undefined, string][] = [
    ["busybox", undefined, "Always"],
    ["busybox:latest", undefined, "Always"],
    ["localhost:5000/busybox", undefined, "Always"],
    ["localhost:5000/busybox:1.36", undefined, "IfNotPresent"],
    ["busybox@sha256:abc", undefined, "IfNotPresent"],
    ["busybox:latest", "Never", "Never"],
  ];
  for (const [image, policy, expected] of pullCases) {
    it(`defaults the pull policy of ${image} to ${expected}`, () => {
      const container = policy === undefined ? { image } : { image, imagePullPolicy: policy as "Never" };
      assert.equal(effectivePullPolicy(container), expected);
    });
  }
});

interface ErrorCase {
  name: string;
  spec: string[];
  /** A fragment of the one expected error, with its field path. */
  expected: string;
}

const ERROR_CASES: ErrorCase[] = [
  {
    name: "configMapKeyRef",
    spec: [...CONTAINERS, "  env: [{name: A, valueFrom: {configMapKeyRef: {name: c, key: k}}}]"],
    expected: "spec.containers[0].env[0].valueFrom.configMapKeyRef: static pods cannot reference API objects (this names a ConfigMap)",
  },
  {
    name: "secretKeyRef",
    spec: [...CONTAINERS, "  env: [{name: A, valueFrom: {secretKeyRef: {name: s, key: k}}}]"],
    expected: "valueFrom.secretKeyRef: static pods cannot reference API objects (this names a Secret)",
  },
  {
    name: "envFrom",
    spec: [...CONTAINERS, "  envFrom: [{secretRef: {name: s}}]"],
    expected: "spec.containers[0].envFrom[0]: static pods cannot reference API objects (this names a Secret)",
  },
  {
    name: "value beside valueFrom",
    spec: [...CONTAINERS, "  env: [{name: A, value: x, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]"],
    expected: "valueFrom: may not be set when value is not empty",
  },
  {
    name: "resourceFieldRef with a bad divisor",
    spec: [...CONTAINERS, "  env: [{name: A, valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 2}}}]"],
    expected: "resourceFieldRef.divisor: is not a valid divisor for limits.cpu; expected 1m or 1",
  },
  {
    name: "resourceFieldRef of another resource",
    spec: [...CONTAINERS, "  env: [{name: A, valueFrom: {resourceFieldRef: {resource: limits.ephemeral-storage}}}]"],
    expected: 'resourceFieldRef.resource: "limits.ephemeral-storage" is not supported; expected limits.cpu, limits.memory, requests.cpu or requests.memory',
  },
  {
    name: "unknown field path",
    spec: [...CONTAINERS, "  env: [{name: A, valueFrom: {fieldRef: {fieldPath: spec.hostname}}}]"],
    expected: 'fieldRef.fieldPath: "spec.hostname" is not supported',
  },
  {
    name: "secret volume",
    spec: ["volumes: [{name: s, secret: {secretName: s}}]", ...CONTAINERS],
    expected: "spec.volumes[0].secret: secret volumes are not supported: static pods cannot reference API objects",
  },
  {
    name: "nfs volume",
    spec: ["volumes: [{name: s, nfs: {server: x, path: /}}]", ...CONTAINERS],
    expected: "spec.volumes[0].nfs: nfs volumes are not supported by tinylet; use hostPath or emptyDir",
  },
  {
    name: "volume without a source",
    spec: ["volumes: [{name: s}]", ...CONTAINERS],
    expected: "spec.volumes[0]: no volume source; a volume needs exactly one",
  },
  {
    name: "volume with two sources",
    spec: ["volumes: [{name: s, emptyDir: {}, hostPath: {path: /x}}]", ...CONTAINERS],
    expected: "2 volume sources (emptyDir, hostPath)",
  },
  {
    name: "duplicate volume",
    spec: ["volumes: [{name: s, emptyDir: {}}, {name: s, emptyDir: {}}]", ...CONTAINERS],
    expected: 'spec.volumes[1].name: duplicate volume name "s"; spec.volumes[0] already uses it',
  },
  {
    name: "relative hostPath",
    spec: ["volumes: [{name: s, hostPath: {path: etc}}]", ...CONTAINERS],
    expected: 'spec.volumes[0].hostPath.path: "etc" must be an absolute path',
  },
  {
    name: "unknown hostPath type",
    spec: ["volumes: [{name: s, hostPath: {path: /etc, type: Pipe}}]", ...CONTAINERS],
    expected: 'spec.volumes[0].hostPath.type: "Pipe" is not supported',
  },
  {
    name: "HugePages emptyDir",
    spec: ["volumes: [{name: s, emptyDir: {medium: HugePages}}]", ...CONTAINERS],
    expected: 'spec.volumes[0].emptyDir.medium: "HugePages" is not supported by tinylet',
  },
  {
    name: "mount of a missing volume",
    spec: [...CONTAINERS, "  volumeMounts: [{name: gone, mountPath: /x}]"],
    expected: 'spec.containers[0].volumeMounts[0].name: volume "gone" is not defined in spec.volumes',
  },
  {
    name: "duplicate mount path",
    spec: ["volumes: [{name: s, emptyDir: {}}]", ...CONTAINERS, "  volumeMounts: [{name: s, mountPath: /x}, {name: s, mountPath: /x}]"],
    expected: 'spec.containers[0].volumeMounts[1].mountPath: "/x" is already mounted by spec.containers[0].volumeMounts[0]',
  },
  {
    name: "subPath with ..",
    spec: ["volumes: [{name: s, emptyDir: {}}]", ...CONTAINERS, "  volumeMounts: [{name: s, mountPath: /x, subPath: a/../../b}]"],
    expected: "volumeMounts[0].subPath: \"a/../../b\" must not contain '..'",
  },
  {
    name: "Bidirectional without privileged",
    spec: ["volumes: [{name: s, emptyDir: {}}]", ...CONTAINERS, "  volumeMounts: [{name: s, mountPath: /x, mountPropagation: Bidirectional}]"],
    expected: "volumeMounts[0].mountPropagation: Bidirectional mount propagation is available only to privileged containers",
  },
  {
    name: "request above limit",
    spec: [...CONTAINERS, "  resources: {limits: {memory: 64Mi}, requests: {memory: 128Mi}}"],
    expected: "spec.containers[0].resources.requests[memory]: must be less than or equal to memory limit of 64Mi",
  },
  {
    name: "invalid quantity",
    spec: [...CONTAINERS, "  resources: {limits: {memory: 64MB}}"],
    expected: 'resources.limits[memory]: "64MB" has an unknown suffix "MB"',
  },
  {
    name: "negative quantity",
    spec: [...CONTAINERS, "  resources: {requests: {cpu: -1}}"],
    expected: 'resources.requests[cpu]: "-1" must be greater than or equal to 0',
  },
  {
    name: "unknown pull policy",
    spec: [...CONTAINERS, "  imagePullPolicy: Sometimes"],
    expected: 'spec.containers[0].imagePullPolicy: "Sometimes" is not supported; expected Always, IfNotPresent or Never',
  },
  {
    name: "probe on an init container",
    spec: ["initContainers:", "- name: setup", "  image: img:1", "  livenessProbe: {exec: {command: [true]}}", ...CONTAINERS],
    expected: "spec.initContainers[0].livenessProbe: may not be set for init containers without restartPolicy=Always",
  },
  {
    name: "sidecar init container",
    spec: ["initContainers:", "- name: setup", "  image: img:1", "  restartPolicy: Always", ...CONTAINERS],
    expected: "spec.initContainers[0].restartPolicy: init containers with a restartPolicy (sidecar containers) are not supported",
  },
  {
    name: "name shared by an init container and a container",
    spec: ["initContainers: [{name: main, image: img:1}]", ...CONTAINERS],
    expected: 'spec.containers[0].name: duplicate container name "main"; spec.initContainers[0] already uses it',
  },
  {
    name: "hostPID with shareProcessNamespace",
    spec: ["hostPID: true", "shareProcessNamespace: true", ...CONTAINERS],
    expected: "spec.shareProcessNamespace: cannot be true when hostPID is true",
  },
  {
    name: "dnsPolicy None without nameservers",
    spec: ["dnsPolicy: None", ...CONTAINERS],
    expected: "spec.dnsConfig: must name at least one nameserver when dnsPolicy is None",
  },
  {
    name: "unsafe sysctl",
    spec: ["securityContext: {sysctls: [{name: net.core.somaxconn, value: '1024'}]}", ...CONTAINERS],
    expected: "sysctl \"net.core.somaxconn\" is not in kubelet's safe set",
  },
  {
    name: "net sysctl with hostNetwork",
    spec: ["hostNetwork: true", "securityContext: {sysctls: [{name: net.ipv4.tcp_syncookies, value: '1'}]}", ...CONTAINERS],
    expected: 'sysctl "net.ipv4.tcp_syncookies" cannot be set when hostNetwork is true',
  },
  {
    name: "Localhost seccomp without a profile",
    spec: [...CONTAINERS, "  securityContext: {seccompProfile: {type: Localhost}}"],
    expected: "securityContext.seccompProfile.localhostProfile: required when type is Localhost",
  },
  {
    name: "no privilege escalation in a privileged container",
    spec: [...CONTAINERS, "  securityContext: {privileged: true, allowPrivilegeEscalation: false}"],
    expected: "securityContext.allowPrivilegeEscalation: cannot be false when privileged is true",
  },
  {
    name: "negative runAsUser",
    spec: ["securityContext: {runAsUser: -1}", ...CONTAINERS],
    expected: "spec.securityContext.runAsUser: -1 is out of range",
  },
  {
    name: "hostAlias with a bad IP",
    spec: ["hostAliases: [{ip: not-an-ip, hostnames: [a]}]", ...CONTAINERS],
    expected: 'spec.hostAliases[0].ip: "not-an-ip" is not a valid IP address',
  },
  {
    name: "hostname that is not a label",
    spec: ["hostname: Box_1", ...CONTAINERS],
    expected: 'spec.hostname: "Box_1" is not a valid DNS-1123 label',
  },
  {
    name: "toleration operator outside the schema",
    spec: ["tolerations: [{operator: Sometimes}]", ...CONTAINERS],
    expected: "spec.tolerations[0].operator: must be one of Equal, Exists",
  },
  {
    name: "affinity of the wrong type",
    spec: ["affinity: {nodeAffinity: strong}", ...CONTAINERS],
    expected: "web.yaml:6:28: spec.affinity.nodeAffinity: expected a map, as the Kubernetes v1 Pod schema requires",
  },
  {
    name: "windows pod",
    spec: ["os: {name: windows}", ...CONTAINERS],
    expected: 'spec.os.name: "windows" pods cannot run on this Linux node',
  },
];

describe("Pod spec errors", () => {
  for (const { name, spec, expected } of ERROR_CASES) {
    it(`rejects ${name}`, () => {
      const result = parseManifest("web.yaml", podText(...spec));
      assert.equal(result.pods.length, 0);
      assert.equal(result.errors.length, 1, result.errors.map((error) => error.message).join("\n"));
      assert.ok(result.errors[0]?.message.includes(expected), `${result.errors[0]?.message}\ndoes not include\n${expected}`);
    });
  }
});
