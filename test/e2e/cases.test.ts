/**
 * Published static-pod manifests (kubeadm, kops, the Kubernetes docs) kept beside the checkout in
 * ../shared/cases/manifests: each validates with no errors and, run in the lab, gets every
 * container running. Their images cannot be pulled here, so the test swaps each image for the
 * lab's busybox and each command whose program busybox lacks for a local equivalent (never one
 * that reaches the network), and moves hostPath volumes under a temporary directory so the run
 * does not write to this machine's /etc or /var. Every other field is kept.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { parse, stringify } from "yaml";

import { parseManifestBytes } from "../../src/manifest/index.js";
import { IMAGE, REPO_ROOT, requireLab, Runtime, tempDir, Tinylet } from "./harness.js";

const CASES = path.resolve(REPO_ROOT, "../shared/cases/manifests");
const skip = existsSync(CASES) ? false : `${CASES} is not present; the published manifests live beside the checkout`;

/** Keeps the container alive without the program it was built for. */
const SLEEP = ["sh", "-c", "exec sleep 3600"];

/** Returns a busybox httpd command serving `root` on `port`, in place of nginx and similar servers. */
function httpd(port: string, root = "/var/www"): string[] {
  return ["httpd", "-f", "-p", port, "-h", root];
}

/** Local stand-ins by file and container name; a container not listed here sleeps. */
const COMMANDS: Record<string, Record<string, string[] | "keep">> = {
  "01-kubeadm-etcd.yaml": {
    // Serves the /livez and /readyz paths the probes ask for, on the metrics port etcd would use.
    etcd: ["sh", "-c", "mkdir -p /tmp/www && echo ok > /tmp/www/livez && echo ok > /tmp/www/readyz && exec httpd -f -p 127.0.0.1:2381 -h /tmp/www"],
  },
  "08-kops-etcd-manager-main.yaml": {
    "init-etcd-3-2-24": ["/bin/sh", "-c", "mkdir -p /opt/etcd-v3.2.24/ && touch /opt/etcd-v3.2.24/etcd"],
    "init-etcd-3-3-17": ["/bin/sh", "-c", "mkdir -p /opt/etcd-v3.3.17/ && touch /opt/etcd-v3.3.17/etcd"],
    "init-etcd-3-4-13": ["/bin/sh", "-c", "mkdir -p /opt/etcd-v3.4.13/ && touch /opt/etcd-v3.4.13/etcd"],
    "init-etcd-3-5-7": ["/bin/sh", "-c", "mkdir -p /opt/etcd-v3.5.7/ && touch /opt/etcd-v3.5.7/etcd"],
  },
  "12-k8s-docs-static-web.yaml": { web: httpd("80") },
  // The original init container downloads a page from the internet; this one writes a local page.
  "13-website-init-containers.yaml": {
    nginx: httpd("80", "/usr/share/nginx/html"),
    install: ["sh", "-c", "echo '<p>local page</p>' > /work-dir/index.html"],
  },
  "15-website-tcp-liveness-readiness.yaml": { goproxy: httpd("8080") },
  // Its args are a busybox shell script already.
  "16-website-exec-liveness.yaml": { liveness: "keep" },
  "20-website-lifecycle-events.yaml": { "lifecycle-demo-container": httpd("80") },
};

/** Hook commands rewritten because the image lacks the directories or programs they use. */
const POST_START: Record<string, string[]> = {
  "20-website-lifecycle-events.yaml": ["/bin/sh", "-c", "echo Hello from the postStart handler > /tmp/message"],
};

type Json = Record<string, unknown>;

/** Rewrites one manifest as described in the file comment; returns the pods and containers to wait for. */
function swap(file: string, text: string, hostRoot: string): { text: string; pod: { name: string; namespace: string; containers: string[] } } {
  const manifest = parse(text) as Json;
  const metadata = manifest["metadata"] as Json;
  const spec = manifest["spec"] as Json;
  const commands = COMMANDS[file] ?? {};

  const rewrite = (container: Json): void => {
    container["image"] = IMAGE;
    const command = commands[String(container["name"])] ?? SLEEP;
    if (command === "keep") return;
    container["command"] = command;
    delete container["args"];
    const postStart = POST_START[file];
    const lifecycle = container["lifecycle"] as Json | undefined;
    if (postStart !== undefined && lifecycle?.["postStart"] !== undefined) lifecycle["postStart"] = { exec: { command: postStart } };
  };
  const containers = spec["containers"] as Json[];
  containers.forEach(rewrite);
  ((spec["initContainers"] as Json[] | undefined) ?? []).forEach(rewrite);

  for (const volume of (spec["volumes"] as Json[] | undefined) ?? []) {
    const hostPath = volume["hostPath"] as Json | undefined;
    if (hostPath !== undefined) hostPath["path"] = path.join(hostRoot, String(hostPath["path"]));
  }

  return {
    text: stringify(manifest),
    pod: {
      name: String(metadata["name"]),
      namespace: String(metadata["namespace"] ?? "default"),
      containers: containers.map((container) => String(container["name"])),
    },
  };
}

describe("published manifests in the lab", { skip }, () => {
  const runtime = new Runtime();
  const cleanups: (() => Promise<void>)[] = [];
  let tinylet: Tinylet | undefined;
  let files: string[] = [];

  before(async () => {
    requireLab();
    await runtime.removeAllOwned();
    files = (await readdir(CASES)).filter((name) => !name.startsWith(".")).sort();
  });

  after(async () => {
    await tinylet?.stop();
    await runtime.removeAllOwned();
    runtime.close();
    for (const cleanup of cleanups) await cleanup();
  });

  it("validates every manifest with no errors", async () => {
    assert.ok(files.length > 0);
    for (const file of files) {
      const result = parseManifestBytes(file, await readFile(path.join(CASES, file)));
      assert.deepEqual(result.errors.map((error) => error.message), [], file);
      assert.equal(result.pods.length, 1, file);
    }
  });

  it("runs every manifest with images and commands swapped", async () => {
    const manifests = await tempDir("cases");
    const logs = await tempDir("cases-logs");
    const state = await tempDir("cases-state");
    const hostRoot = await tempDir("cases-host");
    cleanups.push(manifests.remove, logs.remove, state.remove, hostRoot.remove);

    const pods: { name: string; namespace: string; containers: string[] }[] = [];
    for (const file of files) {
      const swapped = swap(file, await readFile(path.join(CASES, file), "utf8"), hostRoot.dir);
      await writeFile(path.join(manifests.dir, file), swapped.text);
      pods.push(swapped.pod);
    }

    tinylet = new Tinylet(manifests.dir, logs.dir, ["--state-dir", state.dir]);
    for (const pod of pods) {
      for (const container of pod.containers) {
        await runtime.waitRunning(pod.name, container, pod.namespace, 120_000);
      }
    }
    assert.equal(tinylet.count(/rejected manifest/), 0);
  });
});
