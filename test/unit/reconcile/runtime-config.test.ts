import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { MountPropagation, NamespaceMode, SecurityProfile_ProfileType } from "../../../src/cri/index.js";
import { parseManifest, type Pod } from "../../../src/manifest/index.js";
import { managedHostsFile, pullDecision } from "../../../src/reconcile/container-setup.js";
import { expandReferences } from "../../../src/reconcile/expansion.js";
import type { NodeSettings } from "../../../src/reconcile/node.js";
import { podsForNode } from "../../../src/reconcile/node.js";
import { cgroupParent, qosClass } from "../../../src/reconcile/resources.js";
import { containerConfig, sandboxConfig, type ContainerContext } from "../../../src/reconcile/runtime-config.js";
import { checkRunAsNonRoot, MASKED_PATHS, READONLY_PATHS } from "../../../src/reconcile/security.js";

const GIB = 1024 ** 3;

/** A node with fixed values, so configs do not depend on the machine running the tests. */
const NODE: NodeSettings = {
  nodeName: "node-1",
  nodeIPs: ["192.0.2.10", "2001:db8::10"],
  stateDir: "/state",
  kubeletPodNames: false,
  cgroupDriver: "cgroupfs",
  memoryCapacityBytes: 8 * GIB,
  cpuCapacityMillis: 4000,
  hostDns: { servers: ["192.0.2.53"], searches: ["example.internal"], options: ["ndots:1", "timeout:2"] },
};

const CONTEXT: ContainerContext = { node: NODE, podIPs: ["10.77.0.5"], image: {} };

/** Parses a Kubernetes Pod named `web` whose spec is `spec` (YAML lines indented by two spaces). */
function pod(...spec: string[]): Pod {
  const text = ["apiVersion: v1", "kind: Pod", "metadata:", "  name: web", "  namespace: default", "spec:", ...spec.map((line) => `  ${line}`), ""].join("\n");
  const result = parseManifest("web.yaml", text);
  assert.deepEqual(result.errors.map((error) => error.message), []);
  const parsed = result.pods[0];
  assert.ok(parsed);
  return parsed;
}

/** A pod with one container `main` of image `img:1` and the given extra container lines. */
function onePod(containerLines: string[], specLines: string[] = []): Pod {
  return pod(...specLines, "containers:", "- name: main", "  image: img:1", ...containerLines.map((line) => `  ${line}`));
}

function mainConfig(target: Pod, context: ContainerContext = CONTEXT, attempt = 0) {
  const container = target.containers[0];
  assert.ok(container);
  return containerConfig(target, container, attempt, context);
}

describe("sandboxConfig", () => {
  it("maps a plain pod as kubelet does", () => {
    const web = onePod([]);
    const config = sandboxConfig(web, 0, "/logs", NODE);
    assert.equal(config.hostname, "web");
    assert.deepEqual(config.dnsConfig, { servers: ["192.0.2.53"], searches: ["example.internal"], options: ["ndots:1", "timeout:2"] });
    assert.equal(config.annotations?.["kubernetes.io/config.hash"], web.uid);
    assert.equal(config.annotations?.["kubernetes.io/config.source"], "file");
    assert.deepEqual(config.linux, {
      cgroupParent: `/kubepods/besteffort/pod${web.uid}`,
      securityContext: {
        namespaceOptions: { network: NamespaceMode.POD, pid: NamespaceMode.CONTAINER, ipc: NamespaceMode.POD },
        privileged: false,
        seccomp: { profileType: SecurityProfile_ProfileType.RuntimeDefault },
        supplementalGroups: [],
      },
      sysctls: {},
    });
  });

  const namespaceCases: { name: string; spec: string[]; expected: { network: NamespaceMode; pid: NamespaceMode; ipc: NamespaceMode }; hostname: string }[] = [
    { name: "hostNetwork", spec: ["hostNetwork: true"], expected: { network: NamespaceMode.NODE, pid: NamespaceMode.CONTAINER, ipc: NamespaceMode.POD }, hostname: "" },
    { name: "hostPID", spec: ["hostPID: true"], expected: { network: NamespaceMode.POD, pid: NamespaceMode.NODE, ipc: NamespaceMode.POD }, hostname: "web" },
    { name: "hostIPC", spec: ["hostIPC: true"], expected: { network: NamespaceMode.POD, pid: NamespaceMode.CONTAINER, ipc: NamespaceMode.NODE }, hostname: "web" },
    {
      name: "shareProcessNamespace",
      spec: ["shareProcessNamespace: true"],
      expected: { network: NamespaceMode.POD, pid: NamespaceMode.POD, ipc: NamespaceMode.POD },
      hostname: "web",
    },
  ];
  for (const { name, spec, expected, hostname } of namespaceCases) {
    it(`sets namespaces for ${name}`, () => {
      const config = sandboxConfig(onePod([], spec), 0, "/logs", NODE);
      assert.deepEqual(config.linux?.securityContext?.namespaceOptions, expected);
      assert.equal(config.hostname, hostname);
    });
  }

  it("uses hostname, subdomain and setHostnameAsFQDN", () => {
    const plain = sandboxConfig(onePod([], ["hostname: box", "subdomain: sub"]), 0, "/logs", NODE);
    assert.equal(plain.hostname, "box");
    const fqdn = sandboxConfig(onePod([], ["hostname: box", "subdomain: sub", "setHostnameAsFQDN: true"]), 0, "/logs", NODE);
    assert.equal(fqdn.hostname, "box.sub.default.svc.cluster.local");
  });

  it("maps the pod securityContext", () => {
    const config = sandboxConfig(
      onePod([], [
        "securityContext:",
        "  runAsUser: 1000",
        "  runAsGroup: 3000",
        "  fsGroup: 2000",
        "  supplementalGroups: [4000, 5000]",
        "  sysctls: [{name: net.ipv4.ip_local_port_range, value: '1024 65000'}, {name: kernel.shm_rmid_forced, value: '1'}]",
      ]),
      0,
      "/logs",
      NODE,
    );
    assert.deepEqual(config.linux?.securityContext?.runAsUser, { value: 1000n });
    assert.deepEqual(config.linux?.securityContext?.runAsGroup, { value: 3000n });
    assert.deepEqual(config.linux?.securityContext?.supplementalGroups, [2000n, 4000n, 5000n]);
    assert.deepEqual(config.linux?.sysctls, { "net.ipv4.ip_local_port_range": "1024 65000", "kernel.shm_rmid_forced": "1" });
  });

  it("is privileged when an init container is", () => {
    const config = sandboxConfig(
      pod("initContainers:", "- name: setup", "  image: img:1", "  securityContext: {privileged: true}", "containers:", "- {name: main, image: img:1}"),
      0,
      "/logs",
      NODE,
    );
    assert.equal(config.linux?.securityContext?.privileged, true);
  });

  const dnsCases: { name: string; spec: string[]; expected: { servers: string[]; searches: string[]; options: string[] } }[] = [
    {
      name: "ClusterFirst falls back to the host",
      spec: [],
      expected: { servers: ["192.0.2.53"], searches: ["example.internal"], options: ["ndots:1", "timeout:2"] },
    },
    {
      name: "Default merges dnsConfig",
      spec: ["dnsPolicy: Default", "dnsConfig: {nameservers: [192.0.2.54], searches: [a.example, example.internal], options: [{name: ndots, value: '5'}, {name: edns0}]}"],
      expected: { servers: ["192.0.2.53", "192.0.2.54"], searches: ["example.internal", "a.example"], options: ["ndots:5", "timeout:2", "edns0"] },
    },
    {
      name: "None uses dnsConfig alone",
      spec: ["dnsPolicy: None", "dnsConfig: {nameservers: [192.0.2.99], searches: [b.example]}"],
      expected: { servers: ["192.0.2.99"], searches: ["b.example"], options: [] },
    },
  ];
  for (const { name, spec, expected } of dnsCases) {
    it(`builds DNS: ${name}`, () => {
      assert.deepEqual(sandboxConfig(onePod([], spec), 0, "/logs", NODE).dnsConfig, expected);
    });
  }
});

describe("QoS and cgroup parent", () => {
  const cases: { name: string; resources: string[]; qos: string; parent: (uid: string) => string }[] = [
    { name: "no resources", resources: [], qos: "BestEffort", parent: (uid) => `/kubepods/besteffort/pod${uid}` },
    { name: "requests only", resources: ["resources: {requests: {cpu: 100m}}"], qos: "Burstable", parent: (uid) => `/kubepods/burstable/pod${uid}` },
    { name: "limits of both", resources: ["resources: {limits: {cpu: '1', memory: 64Mi}}"], qos: "Guaranteed", parent: (uid) => `/kubepods/pod${uid}` },
    {
      name: "requests below limits",
      resources: ["resources: {limits: {cpu: '1', memory: 64Mi}, requests: {cpu: 500m}}"],
      qos: "Burstable",
      parent: (uid) => `/kubepods/burstable/pod${uid}`,
    },
  ];
  for (const { name, resources, qos, parent } of cases) {
    it(`classes a pod with ${name}`, () => {
      const target = onePod(resources);
      assert.equal(qosClass(target), qos);
      assert.equal(cgroupParent(target, "cgroupfs"), parent(target.uid));
    });
  }

  it("names systemd slices", () => {
    const target = onePod(["resources: {requests: {cpu: 100m}}"]);
    assert.equal(
      cgroupParent(target, "systemd"),
      `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${target.uid}.slice`,
    );
    assert.equal(cgroupParent(target, "none"), "");
  });
});

describe("containerConfig", () => {
  it("resolves env and expands $(VAR) in command, args and values", () => {
    const target = onePod([
      "command: [sh, -c, 'echo $(GREETING) $$(NAME) $(UNSET)']",
      "args: ['$(NODE)', '$(POD_IP)']",
      "env:",
      "- {name: NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}",
      "- {name: NS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}",
      "- {name: UID, valueFrom: {fieldRef: {fieldPath: metadata.uid}}}",
      "- {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}",
      "- {name: HOST_IP, valueFrom: {fieldRef: {fieldPath: status.hostIP}}}",
      "- {name: NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}",
      "- {name: HASH, valueFrom: {fieldRef: {fieldPath: \"metadata.annotations['kubernetes.io/config.hash']\"}}}",
      "- {name: GREETING, value: 'hi $(NAME) in $(NS) before $(LATER)'}",
      "- {name: LATER, value: later}",
      "- {name: NAME, value: 'again $(NAME)'}",
    ]);
    const config = mainConfig(target);
    assert.deepEqual(config.envs, [
      { key: "NAME", value: "again web" },
      { key: "NS", value: "default" },
      { key: "UID", value: target.uid },
      { key: "POD_IP", value: "10.77.0.5" },
      { key: "HOST_IP", value: "192.0.2.10" },
      { key: "NODE", value: "node-1" },
      { key: "HASH", value: target.uid },
      { key: "GREETING", value: "hi web in default before $(LATER)" },
      { key: "LATER", value: "later" },
    ]);
    assert.deepEqual(config.command, ["sh", "-c", "echo hi web in default before $(LATER) $(NAME) $(UNSET)"]);
    assert.deepEqual(config.args, ["node-1", "10.77.0.5"]);
  });

  it("resolves resourceFieldRef as kubelet does", () => {
    const target = onePod([
      "resources: {requests: {cpu: 250m, memory: 64Mi}, limits: {memory: 128Mi}}",
      "env:",
      "- {name: CPU_REQUEST_MILLIS, valueFrom: {resourceFieldRef: {resource: requests.cpu, divisor: 1m}}}",
      "- {name: CPU_REQUEST, valueFrom: {resourceFieldRef: {resource: requests.cpu}}}",
      "- {name: CPU_LIMIT, valueFrom: {resourceFieldRef: {resource: limits.cpu}}}",
      "- {name: MEMORY_LIMIT_MI, valueFrom: {resourceFieldRef: {containerName: main, resource: limits.memory, divisor: 1Mi}}}",
      "- {name: MEMORY_REQUEST, valueFrom: {resourceFieldRef: {resource: requests.memory}}}",
    ]);
    assert.deepEqual(mainConfig(target).envs, [
      { key: "CPU_REQUEST_MILLIS", value: "250" },
      { key: "CPU_REQUEST", value: "1" },
      { key: "CPU_LIMIT", value: "4" },
      { key: "MEMORY_LIMIT_MI", value: "128" },
      { key: "MEMORY_REQUEST", value: String(64 * 1024 * 1024) },
    ]);
  });

  it("gives hostNetwork pods the node's IPs", () => {
    const target = onePod(["env: [{name: POD_IPS, valueFrom: {fieldRef: {fieldPath: status.podIPs}}}]"], ["hostNetwork: true"]);
    assert.deepEqual(mainConfig(target, { ...CONTEXT, podIPs: [] }).envs, [{ key: "POD_IPS", value: "192.0.2.10,2001:db8::10" }]);
  });

  const resourceCases: { name: string; lines: string[]; spec?: string[]; expected: Record<string, bigint> }[] = [
    {
      name: "BestEffort",
      lines: [],
      expected: { cpuShares: 2n, cpuPeriod: 100000n, cpuQuota: 0n, memoryLimitInBytes: 0n, oomScoreAdj: 1000n },
    },
    {
      name: "Guaranteed",
      lines: ["resources: {limits: {cpu: 250m, memory: 128Mi}}"],
      expected: { cpuShares: 256n, cpuPeriod: 100000n, cpuQuota: 25000n, memoryLimitInBytes: 134217728n, oomScoreAdj: -997n },
    },
    {
      name: "Burstable with a memory request",
      lines: ["resources: {requests: {cpu: '1.5', memory: 1Gi}, limits: {memory: 2Gi}}"],
      expected: { cpuShares: 1536n, cpuPeriod: 100000n, cpuQuota: 0n, memoryLimitInBytes: 2147483648n, oomScoreAdj: 875n },
    },
    {
      name: "Burstable without a memory request",
      lines: ["resources: {requests: {cpu: 1m}}"],
      expected: { cpuShares: 2n, cpuPeriod: 100000n, cpuQuota: 0n, memoryLimitInBytes: 0n, oomScoreAdj: 999n },
    },
    {
      name: "a tiny cpu limit",
      lines: ["resources: {limits: {cpu: 5m}, requests: {cpu: 1m}}"],
      expected: { cpuShares: 2n, cpuPeriod: 100000n, cpuQuota: 1000n, memoryLimitInBytes: 0n, oomScoreAdj: 999n },
    },
    {
      name: "a node-critical static pod",
      lines: ["resources: {requests: {cpu: 100m}}"],
      spec: ["priorityClassName: system-node-critical"],
      expected: { cpuShares: 102n, cpuPeriod: 100000n, cpuQuota: 0n, memoryLimitInBytes: 0n, oomScoreAdj: -997n },
    },
  ];
  for (const { name, lines, spec, expected } of resourceCases) {
    it(`computes resources for ${name}`, () => {
      assert.deepEqual(mainConfig(onePod(lines, spec ?? [])).linux?.resources, expected);
    });
  }

  it("maps the container securityContext over the pod's", () => {
    const target = onePod(
      [
        "securityContext:",
        "  runAsGroup: 30",
        "  privileged: false",
        "  readOnlyRootFilesystem: true",
        "  allowPrivilegeEscalation: false",
        "  capabilities: {add: [NET_ADMIN], drop: [ALL]}",
        "  seccompProfile: {type: Localhost, localhostProfile: profiles/audit.json}",
      ],
      ["securityContext: {runAsUser: 20, runAsGroup: 10, fsGroup: 40, seccompProfile: {type: RuntimeDefault}}"],
    );
    assert.deepEqual(mainConfig(target).linux?.securityContext, {
      privileged: false,
      namespaceOptions: { network: NamespaceMode.POD, pid: NamespaceMode.CONTAINER, ipc: NamespaceMode.POD },
      readonlyRootfs: true,
      supplementalGroups: [40n],
      noNewPrivs: true,
      maskedPaths: [...MASKED_PATHS],
      readonlyPaths: [...READONLY_PATHS],
      seccomp: { profileType: SecurityProfile_ProfileType.Localhost, localhostRef: "/state/seccomp/profiles/audit.json" },
      runAsUser: { value: 20n },
      runAsGroup: { value: 30n },
      capabilities: { addCapabilities: ["NET_ADMIN"], dropCapabilities: ["ALL"] },
    });
  });

  const userCases: { name: string; image: ContainerContext["image"]; spec: string[]; expected: Record<string, unknown> }[] = [
    { name: "an image without a user runs as root", image: {}, spec: [], expected: { runAsUser: { value: 0n } } },
    { name: "the image's uid", image: { uid: 1000n }, spec: [], expected: { runAsUser: { value: 1000n } } },
    { name: "the image's user name", image: { username: "app" }, spec: [], expected: { runAsUsername: "app" } },
    { name: "the pod's runAsUser over the image's", image: { uid: 1000n }, spec: ["securityContext: {runAsUser: 7}"], expected: { runAsUser: { value: 7n } } },
  ];
  for (const { name, image, spec, expected } of userCases) {
    it(`sets the user: ${name}`, () => {
      const context = mainConfig(onePod([], spec), { ...CONTEXT, image }).linux?.securityContext ?? {};
      assert.deepEqual({ runAsUser: context.runAsUser, runAsUsername: context.runAsUsername }, { runAsUser: undefined, runAsUsername: undefined, ...expected });
      assert.deepEqual(context.seccomp, { profileType: SecurityProfile_ProfileType.Unconfined });
    });
  }

  it("mounts volumes, /etc/hosts and the termination message in kubelet's order", () => {
    const target = onePod(
      [
        "terminationMessagePath: /tmp/done",
        "volumeMounts:",
        "- {name: data, mountPath: /data, readOnly: true}",
        "- {name: host, mountPath: /conf, subPath: app/conf, mountPropagation: HostToContainer}",
      ],
      ["volumes:", "- {name: data, emptyDir: {}}", "- {name: host, hostPath: {path: /srv/app}}"],
    );
    assert.deepEqual(mainConfig(target, CONTEXT, 3).mounts, [
      { containerPath: "/data", hostPath: `/state/pods/${target.uid}/volumes/data`, readonly: true, propagation: MountPropagation.PROPAGATION_PRIVATE },
      { containerPath: "/conf", hostPath: "/srv/app/app/conf", readonly: false, propagation: MountPropagation.PROPAGATION_HOST_TO_CONTAINER },
      { containerPath: "/etc/hosts", hostPath: `/state/pods/${target.uid}/etc-hosts`, readonly: false },
      { containerPath: "/tmp/done", hostPath: `/state/pods/${target.uid}/containers/main/3`, readonly: false },
    ]);
  });

  it("leaves /etc/hosts to the runtime while the pod IP is unknown or the container mounts it", () => {
    const unknownIP = mainConfig(onePod([]), { ...CONTEXT, podIPs: [] }).mounts?.map((mount) => mount.containerPath);
    assert.deepEqual(unknownIP, ["/dev/termination-log"]);
    const own = onePod(["volumeMounts: [{name: hosts, mountPath: /etc/hosts}]"], ["volumes: [{name: hosts, hostPath: {path: /etc/hosts}}]"]);
    assert.deepEqual(mainConfig(own).mounts?.map((mount) => mount.hostPath), ["/etc/hosts", `/state/pods/${own.uid}/containers/main/0`]);
  });

  it("sets stdin, tty and the termination message annotations", () => {
    const config = mainConfig(onePod(["stdin: true", "stdinOnce: true", "tty: true", "terminationMessagePolicy: FallbackToLogsOnError"]), CONTEXT, 2);
    assert.equal(config.stdin, true);
    assert.equal(config.stdinOnce, true);
    assert.equal(config.tty, true);
    assert.deepEqual(config.annotations, {
      "io.kubernetes.container.restartCount": "2",
      "io.kubernetes.container.terminationMessagePath": "/dev/termination-log",
      "io.kubernetes.container.terminationMessagePolicy": "FallbackToLogsOnError",
    });
  });
});

describe("expandReferences", () => {
  const values: Record<string, string> = { A: "1", EMPTY: "" };
  const cases: [string, string][] = [
    ["$(A)", "1"],
    ["x$(A)y$(A)", "x1y1"],
    ["$(EMPTY)|", "|"],
    ["$(B)", "$(B)"],
    ["$$(A)", "$(A)"],
    ["$$$(A)", "$1"],
    ["$A", "$A"],
    ["$(A", "$(A"],
    ["$(A$$)", "$(A$$)"],
    ["trailing $", "trailing $"],
    ["$()", "$()"],
  ];
  for (const [input, expected] of cases) {
    it(`expands ${JSON.stringify(input)}`, () => {
      assert.equal(expandReferences(input, (name) => values[name]), expected);
    });
  }
});

describe("runAsNonRoot", () => {
  const cases: { name: string; lines: string[]; image: ContainerContext["image"]; refused: boolean }[] = [
    { name: "unset allows root", lines: [], image: {}, refused: false },
    { name: "an image without a user", lines: ["securityContext: {runAsNonRoot: true}"], image: {}, refused: true },
    { name: "an image with uid 0", lines: ["securityContext: {runAsNonRoot: true}"], image: { uid: 0n }, refused: true },
    { name: "an image with uid 1000", lines: ["securityContext: {runAsNonRoot: true}"], image: { uid: 1000n }, refused: false },
    { name: "an image with a user name", lines: ["securityContext: {runAsNonRoot: true}"], image: { username: "app" }, refused: true },
    { name: "runAsUser 0", lines: ["securityContext: {runAsNonRoot: true, runAsUser: 0}"], image: { uid: 1000n }, refused: true },
    { name: "runAsUser 5 over a root image", lines: ["securityContext: {runAsNonRoot: true, runAsUser: 5}"], image: {}, refused: false },
  ];
  for (const { name, lines, image, refused } of cases) {
    it(`checks ${name}`, () => {
      const target = onePod(lines);
      const container = target.containers[0];
      assert.ok(container);
      assert.equal(checkRunAsNonRoot(target, container, image) !== undefined, refused);
    });
  }
});

describe("pod hosts file and naming", () => {
  it("writes kubelet's managed hosts file", () => {
    const target = onePod([], ["hostname: box", "subdomain: sub", "hostAliases: [{ip: 10.1.2.3, hostnames: [a.example, b.example]}]"]);
    assert.equal(
      managedHostsFile(target, ["10.77.0.5"]),
      [
        "# Kubernetes-managed hosts file.",
        "127.0.0.1\tlocalhost",
        "::1\tlocalhost ip6-localhost ip6-loopback",
        "fe00::0\tip6-localnet",
        "fe00::0\tip6-mcastprefix",
        "fe00::1\tip6-allnodes",
        "fe00::2\tip6-allrouters",
        "10.77.0.5\tbox.sub.default.svc.cluster.local\tbox",
        "",
        "# Entries added by HostAliases.",
        "10.1.2.3\ta.example\tb.example",
        "",
      ].join("\n"),
    );
  });

  it("suffixes names with the node name only when asked", () => {
    const target = onePod([]);
    assert.equal(podsForNode([target], NODE)[0]?.name, "web");
    const renamed = podsForNode([target], { ...NODE, kubeletPodNames: true })[0];
    assert.equal(renamed?.name, "web-node-1");
    assert.equal(renamed?.uid, target.uid);
  });
});

describe("pullDecision", () => {
  it("follows imagePullPolicy", () => {
    assert.equal(pullDecision("img:1", "Always", true), "pull");
    assert.equal(pullDecision("img:1", "IfNotPresent", true), "use");
    assert.equal(pullDecision("img:1", "IfNotPresent", false), "pull");
    assert.equal(pullDecision("img:1", "Never", true), "use");
    assert.throws(() => pullDecision("img:1", "Never", false), /ErrImageNeverPull: container image "img:1" is not present with pull policy of Never/);
  });
});
