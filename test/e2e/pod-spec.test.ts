/**
 * The Pod spec against the lab's containerd: env and $(VAR) expansion, volumes shared by two
 * containers, init containers in order, a memory limit in the cgroup, hostNetwork, a hostPort,
 * runAsUser and a read-only root filesystem, each seen from inside the running containers.
 */
import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { IMAGE, requireLab, Runtime, tempDir, Tinylet, waitFor, writeManifest } from "./harness.js";

const runtime = new Runtime();
const cleanups: (() => Promise<void>)[] = [];
let tinylet: Tinylet | undefined;
let manifests = "";
let hostDir = "";
let stateDir = "";

before(async () => {
  requireLab();
  await runtime.removeAllOwned();
  const manifestDir = await tempDir("podspec");
  const logs = await tempDir("podspec-logs");
  const state = await tempDir("podspec-state");
  const host = await tempDir("podspec-host");
  cleanups.push(manifestDir.remove, logs.remove, state.remove, host.remove);
  manifests = manifestDir.dir;
  hostDir = host.dir;
  stateDir = state.dir;
  tinylet = new Tinylet(manifests, logs.dir, ["--state-dir", stateDir, "--node-name", "lab-node"]);
});

after(async () => {
  await tinylet?.stop();
  await runtime.removeAllOwned();
  runtime.close();
  for (const cleanup of cleanups) await cleanup();
});

/** Returns a Pod manifest named `name` with the given spec lines (indented by two spaces). */
function pod(name: string, ...spec: string[]): string {
  return ["apiVersion: v1", "kind: Pod", "metadata:", `  name: ${name}`, "spec:", "  terminationGracePeriodSeconds: 1", ...spec.map((line) => `  ${line}`), ""].join("\n");
}

/** Runs a command in a pod's running container; returns its exit code and output. */
async function exec(podName: string, container: string, cmd: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const { container: running } = await runtime.waitRunning(podName, container, "default", 90_000);
  const response = await runtime.cri.execSync(running.id, cmd, 10);
  return {
    exitCode: response.exitCode,
    stdout: Buffer.from(response.stdout).toString("utf8"),
    stderr: Buffer.from(response.stderr).toString("utf8"),
  };
}

describe("pod spec in the lab", () => {
  it("sets env with field references and expands $(VAR)", async () => {
    await writeManifest(
      manifests,
      "env.yaml",
      pod(
        "env",
        "containers:",
        "- name: main",
        `  image: ${IMAGE}`,
        // tinylet substitutes $(GREETING) before the shell runs, and the single quotes keep the shell from reading the result.
        `  command: [sh, -c, "printf '%s\\n' '$(GREETING)' > /tmp/greeting; exec sleep 3600"]`,
        "  env:",
        "  - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}",
        "  - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}",
        "  - {name: NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}",
        "  - {name: GREETING, value: 'hello $(POD_NAME) on $(NODE) $(MISSING) $$(POD_NAME)'}",
      ),
    );
    const env = await exec("env", "main", ["env"]);
    assert.equal(env.exitCode, 0, env.stderr);
    assert.match(env.stdout, /^POD_NAME=env$/m);
    assert.match(env.stdout, /^NODE=lab-node$/m);
    assert.match(env.stdout, /^POD_IP=10\.77\.0\.\d+$/m);
    assert.match(env.stdout, /^GREETING=hello env on lab-node \$\(MISSING\) \$\(POD_NAME\)$/m);

    const greeting = await exec("env", "main", ["cat", "/tmp/greeting"]);
    assert.equal(greeting.stdout, "hello env on lab-node $(MISSING) $(POD_NAME)\n");
  });

  it("shares hostPath and emptyDir volumes between two containers", async () => {
    await writeFile(path.join(hostDir, "from-host.txt"), "written on the host\n");
    await writeManifest(
      manifests,
      "volumes.yaml",
      pod(
        "volumes",
        "volumes:",
        "- {name: scratch, emptyDir: {}}",
        "- {name: memory, emptyDir: {medium: Memory, sizeLimit: 8Mi}}",
        `- {name: host, hostPath: {path: ${hostDir}, type: Directory}}`,
        "containers:",
        "- name: writer",
        `  image: ${IMAGE}`,
        "  command: [sh, -c, 'echo from-writer > /scratch/note; echo in-memory > /memory/note; echo to-host > /host/sub/from-pod.txt; exec sleep 3600']",
        "  volumeMounts: [{name: scratch, mountPath: /scratch}, {name: memory, mountPath: /memory}, {name: host, mountPath: /host}]",
        "- name: reader",
        `  image: ${IMAGE}`,
        "  command: [sleep, '3600']",
        "  volumeMounts:",
        "  - {name: scratch, mountPath: /data, readOnly: true}",
        "  - {name: memory, mountPath: /memory}",
        "  - {name: host, mountPath: /host-sub, subPath: sub}",
        "  - {name: host, mountPath: /host}",
      ),
    );
    await waitFor("the writer's files", async () => (await exec("volumes", "reader", ["cat", "/data/note"])).exitCode === 0, 60_000);

    assert.equal((await exec("volumes", "reader", ["cat", "/data/note"])).stdout, "from-writer\n");
    assert.equal((await exec("volumes", "reader", ["cat", "/memory/note"])).stdout, "in-memory\n");
    assert.equal((await exec("volumes", "reader", ["cat", "/host/from-host.txt"])).stdout, "written on the host\n");
    assert.equal((await exec("volumes", "reader", ["cat", "/host-sub/from-pod.txt"])).stdout, "to-host\n");
    assert.equal(await readFile(path.join(hostDir, "sub", "from-pod.txt"), "utf8"), "to-host\n");

    const readOnly = await exec("volumes", "reader", ["touch", "/data/other"]);
    assert.notEqual(readOnly.exitCode, 0);
    const mounts = await exec("volumes", "reader", ["cat", "/proc/mounts"]);
    assert.match(mounts.stdout, /^tmpfs \/memory tmpfs \S*size=8192k/m);
  });

  it("runs init containers first and in order", async () => {
    await writeManifest(
      manifests,
      "init.yaml",
      pod(
        "init",
        "volumes: [{name: work, emptyDir: {}}]",
        "initContainers:",
        "- name: first",
        `  image: ${IMAGE}`,
        "  command: [sh, -c, 'echo first >> /work/order']",
        "  volumeMounts: [{name: work, mountPath: /work}]",
        "- name: second",
        `  image: ${IMAGE}`,
        "  command: [sh, -c, 'test -s /work/order && echo second >> /work/order']",
        "  volumeMounts: [{name: work, mountPath: /work}]",
        "containers:",
        "- name: main",
        `  image: ${IMAGE}`,
        "  command: [sh, -c, 'echo main >> /work/order; exec sleep 3600']",
        "  volumeMounts: [{name: work, mountPath: /work}]",
      ),
    );
    await waitFor("main's line", async () => (await exec("init", "main", ["cat", "/work/order"])).stdout.includes("main"), 60_000);
    assert.equal((await exec("init", "main", ["cat", "/work/order"])).stdout, "first\nsecond\nmain\n");
  });

  it("sets the memory limit in the container's cgroup", async () => {
    await writeManifest(
      manifests,
      "limits.yaml",
      pod(
        "limits",
        "containers:",
        "- name: main",
        `  image: ${IMAGE}`,
        "  command: [sleep, '3600']",
        "  resources: {limits: {memory: 64Mi, cpu: 250m}}",
      ),
    );
    const limit = await exec("limits", "main", ["cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]);
    assert.equal(limit.stdout.trim(), String(64 * 1024 * 1024));
    const quota = await exec("limits", "main", ["cat", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us"]);
    assert.equal(quota.stdout.trim(), "25000");
    const sandbox = (await runtime.sandboxes("limits"))[0];
    assert.ok(sandbox);
    const cgroup = await exec("limits", "main", ["cat", "/proc/self/cgroup"]);
    assert.match(cgroup.stdout, new RegExp(`memory:/kubepods/pod${sandbox.metadata?.uid ?? "?"}/`));
  });

  it("shows the host's interfaces to a hostNetwork pod", async () => {
    await writeManifest(
      manifests,
      "hostnet.yaml",
      pod("hostnet", "hostNetwork: true", "containers:", "- name: main", `  image: ${IMAGE}`, "  command: [sleep, '3600']"),
    );
    const devices = await exec("hostnet", "main", ["cat", "/proc/net/dev"]);
    assert.match(devices.stdout, /^\s*tinylet0:/m);
    const hosts = await exec("hostnet", "main", ["cat", "/etc/hosts"]);
    assert.match(hosts.stdout, /^# Kubernetes-managed hosts file \(host network\)\.$/m);
  });

  it("publishes a hostPort on 127.0.0.1", async () => {
    await writeManifest(
      manifests,
      "hostport.yaml",
      pod(
        "hostport",
        "containers:",
        "- name: web",
        `  image: ${IMAGE}`,
        "  command: [httpd, -f, -p, '8080', -h, /var/www]",
        "  ports: [{containerPort: 8080, hostPort: 18089, hostIP: 127.0.0.1}]",
      ),
    );
    await runtime.waitRunning("hostport", "web", "default", 90_000);
    let status = 0;
    await waitFor("http://127.0.0.1:18089/ to answer", async () => {
      try {
        status = (await fetch("http://127.0.0.1:18089/")).status;
        return status === 200;
      } catch {
        return false;
      }
    });
    assert.equal(status, 200);
  });

  it("runs as runAsUser with a read-only root filesystem", async () => {
    await writeManifest(
      manifests,
      "secure.yaml",
      pod(
        "secure",
        "securityContext: {runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000}",
        "volumes: [{name: data, emptyDir: {}}]",
        "containers:",
        "- name: main",
        `  image: ${IMAGE}`,
        "  command: [sleep, '3600']",
        "  securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false}",
        "  volumeMounts: [{name: data, mountPath: /data}]",
      ),
    );
    const id = await exec("secure", "main", ["id"]);
    assert.match(id.stdout, /^uid=1000(\(\w+\))? gid=3000(\(\w+\))? groups=.*\b2000\b/);

    const write = await exec("secure", "main", ["touch", "/should-fail"]);
    assert.notEqual(write.exitCode, 0);
    assert.match(write.stderr, /Read-only file system/);

    const volumeWrite = await exec("secure", "main", ["sh", "-c", "touch /data/ok && stat -c %g /data/ok"]);
    assert.equal(volumeWrite.exitCode, 0, volumeWrite.stderr);
    assert.equal(volumeWrite.stdout.trim(), "2000");
    const noNewPrivs = await exec("secure", "main", ["grep", "NoNewPrivs", "/proc/self/status"]);
    assert.match(noNewPrivs.stdout, /NoNewPrivs:\s+1/);
  });

  it("refuses runAsNonRoot for an image that runs as root", async () => {
    await writeManifest(
      manifests,
      "nonroot.yaml",
      pod("nonroot", "containers:", "- name: main", `  image: ${IMAGE}`, "  command: [sleep, '3600']", "  securityContext: {runAsNonRoot: true}"),
    );
    await tinylet?.waitForLog(/failed to start container.*container has runAsNonRoot and image will run as root/, 60_000);
    const sandbox = (await runtime.sandboxes("nonroot"))[0];
    assert.ok(sandbox);
    assert.deepEqual(await runtime.containers(sandbox.id), []);
  });

  it("removes emptyDir volumes with the pod", async () => {
    const pods = (await runtime.sandboxes("volumes")).map((sandbox) => sandbox.metadata?.uid ?? "");
    assert.equal(pods.length, 1);
    const volumeDir = path.join(stateDir, "pods", pods[0] ?? "", "volumes");
    await readFile(path.join(volumeDir, "scratch", "note"), "utf8");

    await rm(path.join(manifests, "volumes.yaml"));
    await runtime.waitGone("volumes");
    await waitFor("the pod's state directory to go", async () => {
      try {
        await readFile(path.join(volumeDir, "scratch", "note"));
        return false;
      } catch {
        return true;
      }
    });
    const mounts = await readFile("/proc/self/mountinfo", "utf8");
    assert.ok(!mounts.includes(volumeDir), "the Memory volume is still mounted");
  });
});
