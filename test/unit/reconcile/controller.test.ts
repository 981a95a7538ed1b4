import assert from "node:assert/strict";
import { access, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test, type TestContext } from "node:test";

import { stringify } from "yaml";

import {
  Code,
  ContainerState,
  CreateContainerRequestSchema,
  CriClient,
  ListContainersRequestSchema,
  ListPodSandboxRequestSchema,
  PodSandboxState,
  RunPodSandboxRequestSchema,
  StartContainerRequestSchema,
} from "../../../src/cri/index.js";
import { Logger } from "../../../src/log/logger.js";
import { ManifestDirectory, parseManifest, type RestartPolicy } from "../../../src/manifest/index.js";
import { Controller } from "../../../src/reconcile/controller.js";
import {
  expectSocketsClosed,
  socketHandleCount,
  startFakeCri,
  type FakeContainer,
  type FakeCri,
  type FakeCriOptions,
  type FakeSandbox,
} from "../../support/fake-cri.js";

const NGINX = "registry.example/nginx:1.25";
const BUSYBOX = "registry.example/busybox:1.36";

/** Start of the shared clock, in milliseconds since the epoch. */
const START_MS = 1_700_000_000_000;

/** CRI methods that change the runtime. */
const MUTATING = new Set([
  "RunPodSandbox",
  "StopPodSandbox",
  "RemovePodSandbox",
  "CreateContainer",
  "StartContainer",
  "StopContainer",
  "RemoveContainer",
  "PullImage",
]);

interface ContainerSpec {
  name: string;
  image: string;
  command?: string[];
  env?: Array<{ name: string; value: string }>;
  imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
}

interface PodSpec {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  restartPolicy: RestartPolicy;
  containers: ContainerSpec[];
}

/** The pod most tests start from: two containers under restartPolicy Always. */
const BASE_POD: PodSpec = {
  name: "web",
  namespace: "default",
  labels: { app: "web" },
  restartPolicy: "Always",
  containers: [
    { name: "nginx", image: NGINX, env: [{ name: "MODE", value: "production" }] },
    { name: "sidecar", image: BUSYBOX, command: ["sleep", "infinity"] },
  ],
};

/** BASE_POD with only its nginx container, for tests about one container's restarts. */
const SINGLE_POD: PodSpec = { ...BASE_POD, containers: BASE_POD.containers.slice(0, 1) };

/** Renders a Kubernetes Pod manifest. */
function manifestText(pod: PodSpec): string {
  return stringify({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: pod.name, namespace: pod.namespace, labels: pod.labels },
    spec: {
      restartPolicy: pod.restartPolicy,
      terminationGracePeriodSeconds: 5,
      containers: pod.containers.map((c) => ({ name: c.name, image: c.image, command: c.command, env: c.env, imagePullPolicy: c.imagePullPolicy })),
    },
  });
}

/** Returns the UID tinylet derives from a manifest. */
function uidOf(pod: PodSpec): string {
  const result = parseManifest("pod.yaml", manifestText(pod));
  assert.deepEqual(result.errors, []);
  const uid = result.pods[0]?.uid;
  assert.ok(uid !== undefined);
  return uid;
}

/** A test clock shared by the controller and the fake runtime. */
class Clock {
  nowMs = START_MS;
  readonly now = (): number => this.nowMs;

  advance(ms: number): void {
    this.nowMs += ms;
  }
}

interface Instance {
  controller: Controller;
  client: CriClient;
}

/** A fake runtime, a manifests directory and the controllers a test runs against them. */
class Harness {
  /** Log lines of every controller, at debug level. */
  readonly logs: string[] = [];
  private readonly instances: Instance[] = [];

  private constructor(
    readonly fake: FakeCri,
    readonly clock: Clock,
    /** Temporary directory holding the manifests and pod log directories. */
    readonly dir: string,
  ) {}

  /** Starts a fake runtime that has NGINX and BUSYBOX unless `options` sets `images`; all is closed when the test ends. */
  static async open(t: TestContext, options: FakeCriOptions = {}): Promise<Harness> {
    const dir = await mkdtemp(path.join(tmpdir(), "tinylet-controller-test-"));
    await mkdir(path.join(dir, "manifests"));
    const clock = new Clock();
    const fake = await startFakeCri({ images: [NGINX, BUSYBOX], ...options, now: clock.now });
    const harness = new Harness(fake, clock, dir);
    t.after(() => harness.close());
    return harness;
  }

  get manifestsDir(): string {
    return path.join(this.dir, "manifests");
  }

  get podLogRoot(): string {
    return path.join(this.dir, "pods");
  }

  /** Creates a controller with its own client and ManifestDirectory, as a fresh tinylet process would. */
  startController(intervalMs?: number, maxParallel?: number, onSettled?: () => void): Controller {
    const client = new CriClient({ socketPath: this.fake.socketPath, callTimeoutMs: 2_000 });
    const logger = new Logger({ level: "debug", write: (line) => this.logs.push(line), now: this.clock.now });
    const controller = new Controller({
      cri: client,
      manifests: new ManifestDirectory(this.manifestsDir),
      logger,
      podLogRoot: this.podLogRoot,
      now: this.clock.now,
      ...(intervalMs === undefined ? {} : { intervalMs }),
      ...(maxParallel === undefined ? {} : { maxParallel }),
      ...(onSettled === undefined ? {} : { onSettled }),
    });
    this.instances.push({ controller, client });
    return controller;
  }

  /** Stops a controller and closes its client, as a tinylet process that exits. */
  async stopController(controller: Controller): Promise<void> {
    const instance = this.instances.find((i) => i.controller === controller);
    assert.ok(instance !== undefined);
    assert.equal(await controller.stop(2_000), true, "the controller did not stop within 2 s");
    instance.client.close();
    this.instances.splice(this.instances.indexOf(instance), 1);
  }

  async writeManifest(file: string, pod: PodSpec): Promise<void> {
    await writeFile(path.join(this.manifestsDir, file), manifestText(pod));
  }

  async removeManifest(file: string): Promise<void> {
    await rm(path.join(this.manifestsDir, file));
  }

  /** Sandboxes carrying the tinylet label. */
  ownedSandboxes(): FakeSandbox[] {
    return this.fake.sandboxes().filter((s) => s.labels["tinylet"] === "true");
  }

  /** Containers named `name` in the sandbox, oldest attempt first. */
  instancesOf(sandboxId: string, name: string): FakeContainer[] {
    return this.fake
      .containers()
      .filter((c) => c.sandboxId === sandboxId && c.metadata.name === name)
      .sort((a, b) => a.metadata.attempt - b.metadata.attempt);
  }

  /** Methods of the recorded calls that change the runtime, in order. */
  mutatingCalls(): string[] {
    return this.fake.calls.map((c) => c.method).filter((method) => MUTATING.has(method));
  }

  count(method: string): number {
    return this.fake.calls.filter((c) => c.method === method).length;
  }

  private async close(): Promise<void> {
    for (const instance of this.instances) {
      await instance.controller.stop(2_000);
      instance.client.close();
    }
    await this.fake.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * Runs passes until one finds nothing to do. A worker that finishes requests one more pass by
 * itself, so this also waits for that pass and whatever it started.
 */
async function settle(controller: Controller): Promise<void> {
  for (let pass = 0; pass < 10; pass++) {
    const result = await controller.passAndWait();
    assert.equal(result.runtimeReachable, true);
    if (result.dispatched.length === 0 && result.deferred.length === 0) {
      return;
    }
  }
  assert.fail("the controller still had work after 10 passes");
}

/** Returns the only sandbox tinylet owns, failing the test when there is not exactly one. */
function onlySandbox(harness: Harness): FakeSandbox {
  const sandboxes = harness.ownedSandboxes();
  assert.equal(sandboxes.length, 1, `expected one tinylet sandbox, found ${sandboxes.length}`);
  const [sandbox] = sandboxes;
  assert.ok(sandbox !== undefined);
  return sandbox;
}

/** Returns the newest instance of a container, failing the test when there is none. */
function latestInstance(harness: Harness, sandboxId: string, name: string): FakeContainer {
  const latest = harness.instancesOf(sandboxId, name).at(-1);
  assert.ok(latest !== undefined, `no instance of container ${name}`);
  return latest;
}

/** Polls `condition` every 10 ms until it holds, failing after 5 s. */
async function waitFor(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited >= 5_000) assert.fail("condition not met within 5 s");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

let socketBaseline = 0;
before(() => {
  socketBaseline = socketHandleCount();
});
after(async () => {
  await expectSocketsClosed(socketBaseline);
});

describe("Controller", () => {
  test("new manifest starts a labelled pod", async (t) => {
    const harness = await Harness.open(t, { images: [] });
    await harness.writeManifest("web.yaml", BASE_POD);
    const controller = harness.startController();

    await settle(controller);

    const uid = uidOf(BASE_POD);
    const sandbox = onlySandbox(harness);
    assert.equal(sandbox.state, PodSandboxState.SANDBOX_READY);
    assert.deepEqual(sandbox.metadata, { name: "web", namespace: "default", uid, attempt: 0 });
    assert.equal(sandbox.labels["tinylet"], "true");
    assert.equal(sandbox.labels["io.kubernetes.pod.name"], "web");
    assert.equal(sandbox.labels["io.kubernetes.pod.namespace"], "default");
    assert.equal(sandbox.labels["io.kubernetes.pod.uid"], uid);
    assert.equal(sandbox.labels["app"], "web");
    assert.equal(sandbox.annotations["io.kubernetes.pod.terminationGracePeriod"], "5");
    assert.equal(sandbox.annotations["tinylet.io/manifest"], path.join(harness.manifestsDir, "web.yaml"));
    const logDirectory = path.join(harness.podLogRoot, `default_web_${uid}`);
    assert.equal(sandbox.logDirectory, logDirectory);
    assert.equal(await exists(logDirectory), true);

    for (const name of ["nginx", "sidecar"]) {
      const instances = harness.instancesOf(sandbox.id, name);
      assert.equal(instances.length, 1, `instances of ${name}`);
      const [container] = instances;
      assert.equal(container?.state, ContainerState.CONTAINER_RUNNING);
      assert.equal(container.metadata.attempt, 0);
      assert.equal(container.labels["tinylet"], "true");
      assert.equal(container.labels["io.kubernetes.container.name"], name);
      assert.equal(container.labels["io.kubernetes.pod.uid"], uid);
      assert.equal(container.annotations["io.kubernetes.container.restartCount"], "0");
      assert.equal(container.logPath, path.join(logDirectory, name, "0.log"));
    }

    assert.deepEqual(harness.mutatingCalls(), [
      "RunPodSandbox",
      "PullImage",
      "CreateContainer",
      "StartContainer",
      "PullImage",
      "CreateContainer",
      "StartContainer",
    ]);
    assert.equal(harness.fake.hasImage(NGINX), true);
    assert.equal(harness.fake.hasImage(BUSYBOX), true);
  });

  test("unchanged manifests make no mutating call", async (t) => {
    const harness = await Harness.open(t);
    await harness.writeManifest("web.yaml", BASE_POD);
    const controller = harness.startController();
    await settle(controller);
    harness.fake.clearCalls();

    const result = await controller.passAndWait();
    await settle(controller);

    assert.deepEqual(result.dispatched, []);
    const methods = new Set(harness.fake.calls.map((c) => c.method));
    assert.deepEqual([...methods].sort(), ["ListContainers", "ListPodSandbox"]);
    for (const request of [
      ...harness.fake.requests(ListPodSandboxRequestSchema),
      ...harness.fake.requests(ListContainersRequestSchema),
    ]) {
      assert.deepEqual(request.filter?.labelSelector, { tinylet: "true" });
    }
  });

  test("unchanged inputs skip planning", async (t) => {
    const harness = await Harness.open(t);
    await harness.writeManifest("web.yaml", SINGLE_POD);
    const controller = harness.startController();
    await settle(controller);
    /** The `unchanged` field of the latest "pass finished" debug line. */
    const lastPassUnchanged = (): string | undefined =>
      harness.logs.filter((line) => line.includes("pass finished")).at(-1)?.match(/ unchanged=(\w+)/)?.[1];

    // The pass after the one that found nothing to do has the same inputs.
    await controller.passAndWait();
    await controller.passAndWait();
    assert.equal(lastPassUnchanged(), "true");

    // A container that exits is a new input: the pass plans again and starts the back-off.
    const sandbox = onlySandbox(harness);
    harness.fake.exitContainer(latestInstance(harness, sandbox.id, "nginx").id, 1);
    await controller.passAndWait();
    assert.equal(lastPassUnchanged(), "false");
    assert.ok(harness.logs.some((line) => line.includes("back-off before restarting container")));
    harness.clock.advance(20_000);
    await settle(controller);
    assert.equal(latestInstance(harness, sandbox.id, "nginx").metadata.attempt, 1);

    // So is an edited manifest.
    await controller.passAndWait();
    assert.equal(lastPassUnchanged(), "true");
    await harness.writeManifest("web.yaml", { ...SINGLE_POD, labels: { app: "web", tier: "front" } });
    const edited = await controller.passAndWait();
    assert.deepEqual(edited.dispatched, ["default/web"]);
    await settle(controller);
    assert.notEqual(onlySandbox(harness).id, sandbox.id);
  });

  test("deferred edit runs when its worker ends", async (t) => {
    // web's image is present; slow's must be pulled, and the pull takes 1.5 s.
    const harness = await Harness.open(t, { images: [NGINX] });
    harness.fake.delay("RunPodSandbox", 200);
    harness.fake.delay("PullImage", 1_500);
    await harness.writeManifest("web.yaml", SINGLE_POD);
    await harness.writeManifest("slow.yaml", { ...SINGLE_POD, name: "slow", containers: [{ name: "main", image: BUSYBOX }] });
    // The timer never fires during the test, so only the workers' ends start passes.
    const controller = harness.startController(600_000);
    controller.start();

    // While web's worker waits for its sandbox, its manifest changes and a pass plans the new version.
    await waitFor(() => harness.count("RunPodSandbox") === 2);
    await harness.writeManifest("web.yaml", { ...SINGLE_POD, labels: { app: "web", tier: "front" } });
    controller.requestPass();

    // The new version runs while slow's pull still occupies the other worker.
    const edited = uidOf({ ...SINGLE_POD, labels: { app: "web", tier: "front" } });
    await waitFor(() => harness.ownedSandboxes().some((s) => s.metadata.uid === edited && harness.instancesOf(s.id, "nginx").length === 1));
    const slowSandbox = harness.ownedSandboxes().find((s) => s.metadata.name === "slow");
    assert.ok(slowSandbox !== undefined);
    assert.deepEqual(harness.instancesOf(slowSandbox.id, "main"), [], "slow's worker had not finished");
  });

  test("deleted manifest removes the pod", async (t) => {
    const harness = await Harness.open(t);
    await harness.writeManifest("web.yaml", BASE_POD);
    const controller = harness.startController();
    await settle(controller);
    const sandbox = onlySandbox(harness);
    harness.fake.clearCalls();

    await harness.removeManifest("web.yaml");
    await settle(controller);

    assert.deepEqual(harness.fake.sandboxes(), []);
    assert.deepEqual(harness.fake.containers(), []);
    assert.deepEqual(harness.mutatingCalls(), ["StopContainer", "StopContainer", "StopPodSandbox", "RemovePodSandbox"]);
    assert.equal(await exists(sandbox.logDirectory), false);
  });

  test("starts at most maxParallel pods at once", async (t) => {
    const harness = await Harness.open(t);
    const names = ["a", "b", "c", "d", "e"];
    for (const name of names) await harness.writeManifest(`${name}.yaml`, { ...SINGLE_POD, name });
    // Long enough for every worker allowed to start to send its call before the first response.
    harness.fake.delay("RunPodSandbox", 300);
    const controller = harness.startController(undefined, 2);
    await settle(controller);

    const runs = harness.fake.calls.filter((call) => call.method === "RunPodSandbox");
    assert.equal(runs.length, names.length);
    assert.equal(Math.max(...runs.map((call) => call.concurrent)), 2);
    assert.equal(harness.ownedSandboxes().length, names.length);
  });

  test("onSettled runs once per settled burst", async (t) => {
    const harness = await Harness.open(t);
    let calls = 0;
    const controller = harness.startController(undefined, undefined, () => calls++);
    await settle(controller);
    await controller.passAndWait();
    assert.equal(calls, 0, "an empty directory is no work");

    await harness.writeManifest("a.yaml", { ...SINGLE_POD, name: "a" });
    await harness.writeManifest("b.yaml", { ...SINGLE_POD, name: "b" });
    await settle(controller);
    await controller.passAndWait();
    await controller.passAndWait();
    assert.equal(harness.ownedSandboxes().length, 2);
    assert.equal(calls, 1, "after the starts");

    await harness.writeManifest("c.yaml", { ...SINGLE_POD, name: "c" });
    await settle(controller);
    await controller.passAndWait();
    assert.equal(calls, 2, "after the next start");
  });

  test("shares ImageStatus across starts", async (t) => {
    const harness = await Harness.open(t);
    const names = ["a", "b", "c"];
    for (const name of names) await harness.writeManifest(`${name}.yaml`, { ...SINGLE_POD, name });
    const controller = harness.startController(undefined, 1);
    await settle(controller);

    assert.equal(harness.ownedSandboxes().length, names.length);
    assert.equal(harness.count("ImageStatus"), 1);
  });

  test("rereads image after failed CreateContainer", async (t) => {
    const harness = await Harness.open(t);
    for (const name of ["a", "b"]) await harness.writeManifest(`${name}.yaml`, { ...SINGLE_POD, name });
    harness.fake.failNext("CreateContainer", Code.NOT_FOUND, "image not found");
    const controller = harness.startController(undefined, 1);
    await settle(controller);

    // The pods start one after the other, so the second start comes after the first one failed.
    assert.equal(harness.count("CreateContainer"), 2);
    assert.equal(harness.count("ImageStatus"), 2);
  });

  test("rereads image user after pull", async (t) => {
    const harness = await Harness.open(t);
    const pod = { ...SINGLE_POD, containers: [{ name: "nginx", image: NGINX, imagePullPolicy: "Always" as const }] };
    await harness.writeManifest("web.yaml", pod);
    const controller = harness.startController();
    await settle(controller);

    assert.equal(harness.count("PullImage"), 1);
    assert.deepEqual(
      harness.fake.calls.map((call) => call.method).filter((method) => method === "ImageStatus" || method === "PullImage"),
      ["ImageStatus", "PullImage", "ImageStatus"],
    );
  });

  test("checks image during sandbox creation", async (t) => {
    const harness = await Harness.open(t);
    await harness.writeManifest("web.yaml", SINGLE_POD);
    harness.fake.delay("RunPodSandbox", 200);
    const controller = harness.startController();
    await settle(controller);

    const calls = harness.fake.calls;
    assert.equal(harness.count("ImageStatus"), 1);
    const check = calls.findIndex((call) => call.method === "ImageStatus");
    const run = calls.findIndex((call) => call.method === "RunPodSandbox");
    // Either call may reach the runtime first; the check must not wait for the sandbox.
    assert.ok(check < run || calls[check]?.during.includes("RunPodSandbox"), `calls: ${calls.map((call) => call.method).join(", ")}`);
    assert.equal(harness.instancesOf(onlySandbox(harness).id, "nginx").length, 1);
  });

  test("tears down deleted pods beyond maxParallel", async (t) => {
    const harness = await Harness.open(t);
    const names = ["a", "b", "c"];
    for (const name of names) await harness.writeManifest(`${name}.yaml`, { ...SINGLE_POD, name });
    const controller = harness.startController(undefined, 1);
    await settle(controller);
    assert.equal(harness.ownedSandboxes().length, names.length);
    harness.fake.clearCalls();

    harness.fake.delay("StopPodSandbox", 300);
    for (const name of names) await harness.removeManifest(`${name}.yaml`);
    await settle(controller);

    const stops = harness.fake.calls.filter((call) => call.method === "StopPodSandbox");
    assert.equal(stops.length, names.length);
    assert.equal(Math.max(...stops.map((call) => call.concurrent)), names.length);
    assert.deepEqual(harness.ownedSandboxes(), []);
  });

  test("stops at once during a pass", async (t) => {
    const harness = await Harness.open(t);
    await harness.writeManifest("old.yaml", { ...SINGLE_POD, name: "old" });
    const controller = harness.startController(600_000);
    await settle(controller);

    await harness.writeManifest("new.yaml", { ...SINGLE_POD, name: "new" });
    harness.fake.delay("ListContainers", 300);
    harness.fake.delay("RunPodSandbox", 1_000);
    controller.requestPass();
    await waitFor(() => harness.count("RunPodSandbox") === 2);
    // Pod new's worker runs, and the pass that finds old's manifest gone waits for its lists when stop() comes.
    await harness.removeManifest("old.yaml");
    const listed = harness.count("ListContainers");
    controller.requestPass();
    await waitFor(() => harness.count("ListContainers") === listed + 1);

    assert.equal(await controller.stop(5_000), true, "stop() waited for a plan queued after it");
    assert.equal(harness.count("StopPodSandbox"), 0);
  });

  test("drops a queued start whose manifest went", async (t) => {
    const harness = await Harness.open(t);
    await harness.writeManifest("a.yaml", { ...SINGLE_POD, name: "a" });
    await harness.writeManifest("b.yaml", { ...SINGLE_POD, name: "b" });
    // Pod a keeps the only worker busy long enough for b's file to go while b waits for it.
    harness.fake.delay("RunPodSandbox", 500);
    const controller = harness.startController(undefined, 1);
    controller.requestPass();
    await waitFor(() => harness.count("RunPodSandbox") === 1);

    await harness.removeManifest("b.yaml");
    await controller.passAndWait();
    await settle(controller);

    const started = harness.fake.requests(RunPodSandboxRequestSchema).map((request) => request.config?.metadata?.name);
    assert.deepEqual(started, ["a"]);
    assert.deepEqual(
      harness.ownedSandboxes().map((sandbox) => sandbox.metadata.name),
      ["a"],
    );
  });

  test("edited manifest replaces the sandbox", async (t) => {
    const harness = await Harness.open(t);
    await harness.writeManifest("web.yaml", BASE_POD);
    const controller = harness.startController();
    await settle(controller);
    const old = onlySandbox(harness);
    harness.fake.clearCalls();

    const edited: PodSpec = {
      ...BASE_POD,
      containers: [{ ...BASE_POD.containers[0]!, env: [{ name: "MODE", value: "debug" }] }, BASE_POD.containers[1]!],
    };
    await harness.writeManifest("web.yaml", edited);
    await settle(controller);

    const replacement = onlySandbox(harness);
    assert.notEqual(replacement.id, old.id);
    assert.equal(replacement.metadata.uid, uidOf(edited));
    assert.notEqual(replacement.metadata.uid, old.metadata.uid);
    for (const name of ["nginx", "sidecar"]) {
      const container = latestInstance(harness, replacement.id, name);
      assert.equal(container.state, ContainerState.CONTAINER_RUNNING);
      assert.equal(container.metadata.attempt, 0);
    }
    assert.equal(harness.fake.containers().length, 2);

    const methods = harness.mutatingCalls();
    assert.ok(methods.indexOf("RemovePodSandbox") < methods.indexOf("RunPodSandbox"), `calls: ${methods.join(" ")}`);
    assert.equal(await exists(old.logDirectory), false);
    assert.equal(await exists(replacement.logDirectory), true);
  });

  test("skips a version outdated during stop", async (t) => {
    const harness = await Harness.open(t);
    await harness.writeManifest("web.yaml", SINGLE_POD);
    const controller = harness.startController(600_000);
    await settle(controller);
    harness.fake.clearCalls();

    // The old version takes a while to stop, and the edited manifest is deleted meanwhile.
    harness.fake.delay("StopPodSandbox", 1_000);
    const edited: PodSpec = { ...SINGLE_POD, labels: { app: "web", tier: "front" } };
    await harness.writeManifest("web.yaml", edited);
    controller.requestPass();
    await waitFor(() => harness.count("StopPodSandbox") === 1);
    await harness.removeManifest("web.yaml");
    await controller.passAndWait();
    await settle(controller);

    const started = harness.fake.requests(RunPodSandboxRequestSchema).map((request) => request.config?.metadata?.uid);
    assert.deepEqual(started, []);
    assert.deepEqual(harness.ownedSandboxes(), []);
    assert.ok(harness.logs.some((line) => line.includes("skipped starting an outdated pod version")));
  });

  test("foreign sandbox is never touched", async (t) => {
    const harness = await Harness.open(t);
    const foreignId = harness.fake.addForeignSandbox({ name: "web", namespace: "default", containers: ["nginx"] });
    const foreignContainerId = harness.fake.containers().find((c) => c.sandboxId === foreignId)?.id;
    assert.ok(foreignContainerId !== undefined);
    await harness.writeManifest("web.yaml", BASE_POD);
    const controller = harness.startController();

    await settle(controller);
    const owned = onlySandbox(harness);
    await harness.removeManifest("web.yaml");
    await settle(controller);

    assert.notEqual(owned.id, foreignId);
    assert.deepEqual(harness.ownedSandboxes(), []);
    const foreign = harness.fake.sandboxes().find((s) => s.id === foreignId);
    assert.equal(foreign?.state, PodSandboxState.SANDBOX_READY);
    const foreignContainer = harness.fake.containers().find((c) => c.id === foreignContainerId);
    assert.equal(foreignContainer?.state, ContainerState.CONTAINER_RUNNING);

    for (const call of harness.fake.calls.filter((c) => MUTATING.has(c.method))) {
      const request = call.request as { podSandboxId?: string; containerId?: string };
      assert.notEqual(request.podSandboxId, foreignId, `${call.method} was sent for the foreign sandbox`);
      assert.notEqual(request.containerId, foreignContainerId, `${call.method} was sent for the foreign container`);
    }
  });

  test("crashed container restarts after back-off", async (t) => {
    const harness = await Harness.open(t);
    await harness.writeManifest("web.yaml", SINGLE_POD);
    const controller = harness.startController();
    await settle(controller);
    const sandbox = onlySandbox(harness);
    const first = latestInstance(harness, sandbox.id, "nginx");

    harness.clock.advance(60_000);
    harness.fake.exitContainer(first.id, 1);
    harness.fake.clearCalls();
    const firstPass = await controller.passAndWait();

    assert.deepEqual(firstPass.dispatched, []);
    assert.deepEqual(harness.mutatingCalls(), []);
    assert.equal(harness.count("ContainerStatus"), 1, "the exit code is read once");
    assert.equal(latestInstance(harness, sandbox.id, "nginx").id, first.id);

    harness.clock.advance(5_000);
    await settle(controller);
    assert.deepEqual(harness.mutatingCalls(), [], "restarted 5 s after the exit");

    harness.clock.advance(5_000);
    await settle(controller);
    const second = latestInstance(harness, sandbox.id, "nginx");
    assert.notEqual(second.id, first.id);
    assert.equal(second.metadata.attempt, 1);
    assert.equal(second.state, ContainerState.CONTAINER_RUNNING);
    assert.equal(second.annotations["io.kubernetes.container.restartCount"], "1");
    assert.equal(second.logPath, path.join(sandbox.logDirectory, "nginx", "1.log"));
    assert.equal(onlySandbox(harness).id, sandbox.id, "the sandbox is kept");

    // A second crash right after the start doubles the delay to 20 s.
    harness.fake.exitContainer(second.id, 1);
    harness.fake.clearCalls();
    harness.clock.advance(10_000);
    await settle(controller);
    assert.equal(harness.count("CreateContainer"), 0, "restarted 10 s after the second exit");

    harness.clock.advance(10_000);
    await settle(controller);
    const third = latestInstance(harness, sandbox.id, "nginx");
    assert.equal(third.metadata.attempt, 2);
    assert.equal(third.state, ContainerState.CONTAINER_RUNNING);
  });

  const restartCases: Array<{ policy: RestartPolicy; exitCode: number; restarts: boolean }> = [
    { policy: "Always", exitCode: 0, restarts: true },
    { policy: "OnFailure", exitCode: 0, restarts: false },
    { policy: "OnFailure", exitCode: 1, restarts: true },
    { policy: "Never", exitCode: 1, restarts: false },
  ];
  for (const { policy, exitCode, restarts } of restartCases) {
    test(`restartPolicy ${policy}, exit ${exitCode}: ${restarts ? "restarts" : "stays exited"}`, async (t) => {
      const harness = await Harness.open(t);
      await harness.writeManifest("web.yaml", { ...SINGLE_POD, restartPolicy: policy });
      const controller = harness.startController();
      await settle(controller);
      const sandbox = onlySandbox(harness);
      const first = latestInstance(harness, sandbox.id, "nginx");

      harness.fake.exitContainer(first.id, exitCode);
      harness.fake.clearCalls();
      harness.clock.advance(10_000);
      await settle(controller);
      harness.clock.advance(300_000);
      await settle(controller);

      const latest = latestInstance(harness, sandbox.id, "nginx");
      if (restarts) {
        assert.equal(latest.metadata.attempt, 1);
        assert.equal(latest.state, ContainerState.CONTAINER_RUNNING);
        assert.equal(harness.count("CreateContainer"), 1);
      } else {
        assert.equal(latest.id, first.id);
        assert.equal(latest.state, ContainerState.CONTAINER_EXITED);
        assert.deepEqual(harness.mutatingCalls(), []);
        assert.equal(onlySandbox(harness).state, PodSandboxState.SANDBOX_READY);
      }
    });
  }

  test("failing image pull backs off", async (t) => {
    const harness = await Harness.open(t, { images: [], failingImages: [NGINX] });
    await harness.writeManifest("web.yaml", SINGLE_POD);
    const controller = harness.startController();

    await settle(controller);
    await settle(controller);
    assert.equal(harness.count("PullImage"), 1, "pulls right after the failure");
    const sandbox = onlySandbox(harness);
    assert.deepEqual(harness.instancesOf(sandbox.id, "nginx"), []);

    harness.clock.advance(5_000);
    await settle(controller);
    assert.equal(harness.count("PullImage"), 1, "pulls 5 s after the failure");

    harness.clock.advance(5_000);
    await settle(controller);
    assert.equal(harness.count("PullImage"), 2, "pulls 10 s after the failure");

    // The second failure doubles the delay to 20 s.
    harness.clock.advance(10_000);
    await settle(controller);
    assert.equal(harness.count("PullImage"), 2, "pulls 10 s after the second failure");

    harness.fake.failingImages.delete(NGINX);
    harness.clock.advance(10_000);
    await settle(controller);
    assert.equal(harness.count("PullImage"), 3);
    const container = latestInstance(harness, sandbox.id, "nginx");
    assert.equal(container.state, ContainerState.CONTAINER_RUNNING);
    assert.equal(container.metadata.attempt, 0);
    assert.equal(harness.count("RunPodSandbox"), 1, "the sandbox is kept while the image is missing");
  });

  test("restarted controller adopts running pods", async (t) => {
    const harness = await Harness.open(t);
    await harness.writeManifest("web.yaml", BASE_POD);
    await harness.writeManifest("job.yaml", { ...SINGLE_POD, name: "job" });
    const first = harness.startController();
    await settle(first);
    const sandboxes = harness.ownedSandboxes();
    assert.equal(sandboxes.length, 2);
    const jobSandbox = sandboxes.find((s) => s.metadata.name === "job");
    assert.ok(jobSandbox !== undefined);
    const crashed = latestInstance(harness, jobSandbox.id, "nginx");
    harness.fake.exitContainer(crashed.id, 1);
    await settle(first);
    await harness.stopController(first);
    harness.fake.clearCalls();

    const second = harness.startController();
    harness.clock.advance(1_000);
    await settle(second);

    assert.deepEqual(harness.mutatingCalls(), []);
    assert.deepEqual(
      harness.ownedSandboxes().map((s) => s.id),
      sandboxes.map((s) => s.id),
    );

    // The back-off restarts from what the runtime reports: 10 s after the container finished.
    harness.clock.advance(9_000);
    await settle(second);
    const restarted = latestInstance(harness, jobSandbox.id, "nginx");
    assert.equal(restarted.metadata.attempt, 1);
    assert.equal(restarted.state, ContainerState.CONTAINER_RUNNING);
    assert.deepEqual(harness.mutatingCalls().slice(0, 2), ["CreateContainer", "StartContainer"]);
    assert.equal(harness.count("CreateContainer"), 1);
    assert.equal(harness.count("RunPodSandbox") + harness.count("StopPodSandbox") + harness.count("RemovePodSandbox"), 0);
  });

  test("reserved container name is adopted", async (t) => {
    const harness = await Harness.open(t);
    await harness.writeManifest("web.yaml", SINGLE_POD);
    harness.fake.duplicateNext("CreateContainer");
    const controller = harness.startController();

    await settle(controller);

    const sandbox = onlySandbox(harness);
    const instances = harness.instancesOf(sandbox.id, "nginx");
    assert.equal(instances.length, 1);
    const [adopted] = instances;
    assert.equal(adopted?.state, ContainerState.CONTAINER_RUNNING);
    assert.equal(adopted.metadata.attempt, 0);
    assert.equal(harness.fake.requests(CreateContainerRequestSchema).length, 1);
    assert.deepEqual(
      harness.fake.requests(StartContainerRequestSchema).map((r) => r.containerId),
      [adopted.id],
    );
    assert.equal(harness.count("RemoveContainer"), 0);
    assert.ok(harness.logs.some((line) => line.includes("adopted container created by an earlier call")));
  });
});
