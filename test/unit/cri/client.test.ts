import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test, type TestContext } from "node:test";

import type { MessageInitShape } from "@bufbuild/protobuf";

import {
  Code,
  ContainerState,
  CreateContainerRequestSchema,
  CriClient,
  CriError,
  ExecSyncRequestSchema,
  NamespaceMode,
  PodSandboxState,
  Protocol,
  PullImageRequestSchema,
  RunPodSandboxRequestSchema,
  StopContainerRequestSchema,
  type ContainerConfigSchema,
  type CriCallEvent,
  type CriClientOptions,
  type PodSandboxConfigSchema,
} from "../../../src/cri/index.js";
import { expectSocketsClosed, socketHandleCount, startFakeCri, type FakeCri, type FakeCriOptions } from "../../support/fake-cri.js";

/** Fixed time of the fake's clock, in milliseconds since the epoch. */
const NOW_MS = 1_700_000_000_123;
const NOW_NS = BigInt(NOW_MS) * 1_000_000n;

const LOG_DIRECTORY = "/var/log/pods/default_web_0123456789abcdef0123456789abcdef";

/** Returns a sandbox config with every kind of field tinylet sends. */
function webSandboxConfig(attempt = 0): MessageInitShape<typeof PodSandboxConfigSchema> {
  return {
    metadata: { name: "web", namespace: "default", uid: "0123456789abcdef0123456789abcdef", attempt },
    hostname: "web",
    logDirectory: LOG_DIRECTORY,
    portMappings: [
      { protocol: Protocol.TCP, containerPort: 80, hostPort: 8080, hostIp: "127.0.0.1" },
      { protocol: Protocol.UDP, containerPort: 53, hostPort: 1053, hostIp: "" },
    ],
    labels: {
      tinylet: "true",
      app: "web",
      "io.kubernetes.pod.name": "web",
      "io.kubernetes.pod.namespace": "default",
      "io.kubernetes.pod.uid": "0123456789abcdef0123456789abcdef",
    },
    annotations: { "io.kubernetes.pod.terminationGracePeriod": "30", "tinylet.io/manifest": "/etc/tinylet/web.yaml" },
    linux: { securityContext: { namespaceOptions: { network: NamespaceMode.NODE, pid: NamespaceMode.CONTAINER } } },
  };
}

/** Returns a container config with every kind of field tinylet sends. */
function nginxConfig(attempt = 0): MessageInitShape<typeof ContainerConfigSchema> {
  return {
    metadata: { name: "nginx", attempt },
    image: { image: "registry.example/nginx:1.25", userSpecifiedImage: "registry.example/nginx:1.25" },
    command: ["/bin/sh", "-c"],
    args: ["exec nginx -g 'daemon off;'"],
    workingDir: "/srv",
    envs: [
      { key: "MODE", value: "production" },
      { key: "EMPTY", value: "" },
    ],
    labels: { tinylet: "true", "io.kubernetes.container.name": "nginx", "io.kubernetes.pod.name": "web" },
    annotations: { "io.kubernetes.container.restartCount": String(attempt) },
    logPath: `nginx/${attempt}.log`,
  };
}

interface Harness {
  fake: FakeCri;
  client: CriClient;
  events: CriCallEvent[];
}

/** Starts a fake and a client for one test; both are closed when the test ends. */
async function open(
  t: TestContext,
  fakeOptions: FakeCriOptions = {},
  clientOptions: Partial<CriClientOptions> = {},
): Promise<Harness> {
  const fake = await startFakeCri({ now: () => NOW_MS, ...fakeOptions });
  const events: CriCallEvent[] = [];
  const client = new CriClient({ socketPath: fake.socketPath, onCall: (event) => events.push(event), ...clientOptions });
  t.after(async () => {
    client.close();
    await fake.close();
  });
  return { fake, client, events };
}

/** Runs the web sandbox and creates its nginx container; returns both IDs. */
async function createWebPod(client: CriClient): Promise<{ sandboxId: string; containerId: string }> {
  const sandboxId = await client.runPodSandbox(webSandboxConfig());
  const containerId = await client.createContainer(sandboxId, nginxConfig(), webSandboxConfig());
  return { sandboxId, containerId };
}

/** Returns the CriError `promise` rejects with, failing the test when it resolves or rejects with anything else. */
async function criErrorOf(promise: Promise<unknown>): Promise<CriError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof CriError, `expected a CriError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected the call to fail");
}

let socketBaseline = 0;
before(() => {
  socketBaseline = socketHandleCount();
});
after(async () => {
  await expectSocketsClosed(socketBaseline);
});

describe("CriClient round trips", () => {
  test("version returns runtime names", async (t) => {
    const { client } = await open(t);

    const version = await client.version();

    assert.equal(version.runtimeName, "fake-cri");
    assert.equal(version.runtimeApiVersion, "v1");
  });

  test("runPodSandbox sends every config field", async (t) => {
    const { fake, client } = await open(t);

    const sandboxId = await client.runPodSandbox(webSandboxConfig(2), "runc");

    const [request] = fake.requests(RunPodSandboxRequestSchema);
    assert.ok(request?.config !== undefined);
    assert.equal(request.runtimeHandler, "runc");
    assert.deepEqual(
      request.config.portMappings.map((m) => [m.protocol, m.containerPort, m.hostPort, m.hostIp]),
      [
        [Protocol.TCP, 80, 8080, "127.0.0.1"],
        [Protocol.UDP, 53, 1053, ""],
      ],
    );
    assert.equal(request.config.hostname, "web");
    assert.equal(request.config.logDirectory, LOG_DIRECTORY);
    assert.equal(request.config.linux?.securityContext?.namespaceOptions?.network, NamespaceMode.NODE);

    const [listed] = await client.listPodSandbox();
    assert.equal(listed?.id, sandboxId);
    assert.deepEqual(listed.labels, webSandboxConfig().labels);
    assert.deepEqual(listed.annotations, webSandboxConfig().annotations);
    assert.equal(listed.metadata?.name, "web");
    assert.equal(listed.metadata.namespace, "default");
    assert.equal(listed.metadata.uid, "0123456789abcdef0123456789abcdef");
    assert.equal(listed.metadata.attempt, 2);
    assert.equal(listed.state, PodSandboxState.SANDBOX_READY);
    assert.equal(listed.createdAt, NOW_NS);
    assert.equal(listed.runtimeHandler, "runc");

    const status = await client.podSandboxStatus(sandboxId);
    assert.equal(status.id, sandboxId);
    assert.deepEqual(status.labels, webSandboxConfig().labels);
    assert.equal(status.metadata?.attempt, 2);
  });

  test("listPodSandbox filters by label selector", async (t) => {
    const { fake, client } = await open(t);
    const ownedId = await client.runPodSandbox(webSandboxConfig());
    const foreignId = fake.addForeignSandbox({ name: "web", namespace: "default" });

    const owned = await client.listPodSandbox({ tinylet: "true" });
    const both = await client.listPodSandbox({ "io.kubernetes.pod.name": "web" });
    const none = await client.listPodSandbox({ tinylet: "true", app: "db" });

    assert.deepEqual(owned.map((s) => s.id), [ownedId]);
    assert.deepEqual(both.map((s) => s.id).sort(), [ownedId, foreignId].sort());
    assert.deepEqual(none, []);
  });

  test("createContainer sends both configs", async (t) => {
    const { fake, client } = await open(t);

    const { sandboxId, containerId } = await createWebPod(client);

    const [request] = fake.requests(CreateContainerRequestSchema);
    assert.equal(request?.podSandboxId, sandboxId);
    assert.deepEqual(
      request.config?.envs.map((e) => [e.key, e.value]),
      [
        ["MODE", "production"],
        ["EMPTY", ""],
      ],
    );
    assert.deepEqual(request.config?.command, ["/bin/sh", "-c"]);
    assert.deepEqual(request.config?.args, ["exec nginx -g 'daemon off;'"]);
    assert.equal(request.config?.workingDir, "/srv");
    assert.equal(request.config?.logPath, "nginx/0.log");
    assert.equal(request.config?.image?.userSpecifiedImage, "registry.example/nginx:1.25");
    assert.equal(request.sandboxConfig?.metadata?.uid, "0123456789abcdef0123456789abcdef");
    assert.equal(request.sandboxConfig?.portMappings.length, 2);

    const status = await client.containerStatus(containerId);
    assert.equal(status.id, containerId);
    assert.equal(status.state, ContainerState.CONTAINER_CREATED);
    assert.equal(status.metadata?.name, "nginx");
    assert.equal(status.metadata.attempt, 0);
    assert.deepEqual(status.labels, nginxConfig().labels);
    assert.deepEqual(status.annotations, { "io.kubernetes.container.restartCount": "0" });
    assert.equal(status.logPath, path.join(LOG_DIRECTORY, "nginx/0.log"));
    assert.equal(status.image?.image, "registry.example/nginx:1.25");
    assert.equal(status.createdAt, NOW_NS);
    assert.equal(status.startedAt, 0n);
  });

  test("listContainers filters by selector and sandbox", async (t) => {
    const { fake, client } = await open(t);
    const { sandboxId, containerId } = await createWebPod(client);
    const foreignId = fake.addForeignSandbox({ name: "other", namespace: "default", containers: ["app"] });

    const inSandbox = await client.listContainers({}, sandboxId);
    const owned = await client.listContainers({ tinylet: "true" });
    const all = await client.listContainers();

    assert.deepEqual(inSandbox.map((c) => c.id), [containerId]);
    assert.deepEqual(owned.map((c) => c.id), [containerId]);
    assert.equal(all.length, 2);
    assert.ok(all.some((c) => c.podSandboxId === foreignId && c.state === ContainerState.CONTAINER_RUNNING));
    const [listed] = inSandbox;
    assert.equal(listed?.metadata?.name, "nginx");
    assert.deepEqual(listed.labels, nginxConfig().labels);
    assert.equal(listed.image?.userSpecifiedImage, "registry.example/nginx:1.25");
  });

  test("container moves through its states", async (t) => {
    let nowMs = NOW_MS;
    const { fake, client } = await open(t, { now: () => nowMs });
    const { containerId } = await createWebPod(client);

    nowMs += 1_000;
    await client.startContainer(containerId);
    const running = await client.containerStatus(containerId);
    assert.equal(running.state, ContainerState.CONTAINER_RUNNING);
    assert.equal(running.startedAt, NOW_NS + 1_000_000_000n);

    nowMs += 1_000;
    await client.stopContainer(containerId, 5);
    const [stopRequest] = fake.requests(StopContainerRequestSchema);
    assert.equal(stopRequest?.timeout, 5n);
    const exited = await client.containerStatus(containerId);
    assert.equal(exited.state, ContainerState.CONTAINER_EXITED);
    assert.equal(exited.exitCode, 137);
    assert.equal(exited.finishedAt, NOW_NS + 2_000_000_000n);

    await client.removeContainer(containerId);
    assert.deepEqual(await client.listContainers(), []);
    const error = await criErrorOf(client.containerStatus(containerId));
    assert.equal(error.notFound, true);
    await client.removeContainer(containerId);
  });

  test("exitContainer sets the exit code", async (t) => {
    const { fake, client } = await open(t);
    const { containerId } = await createWebPod(client);
    await client.startContainer(containerId);

    fake.exitContainer(containerId, 3);

    const status = await client.containerStatus(containerId);
    assert.equal(status.state, ContainerState.CONTAINER_EXITED);
    assert.equal(status.exitCode, 3);
    assert.equal(status.reason, "Error");
  });

  test("sandbox stop and removal reach containers", async (t) => {
    const { client } = await open(t);
    const { sandboxId, containerId } = await createWebPod(client);
    await client.startContainer(containerId);

    await client.stopPodSandbox(sandboxId);
    const [stopped] = await client.listPodSandbox();
    assert.equal(stopped?.state, PodSandboxState.SANDBOX_NOTREADY);
    assert.equal((await client.containerStatus(containerId)).state, ContainerState.CONTAINER_EXITED);

    await client.removePodSandbox(sandboxId);
    assert.deepEqual(await client.listPodSandbox(), []);
    assert.deepEqual(await client.listContainers(), []);
    await client.removePodSandbox(sandboxId);
    const error = await criErrorOf(client.stopPodSandbox(sandboxId));
    assert.equal(error.notFound, true);
  });

  test("removed sandbox frees its name", async (t) => {
    const { client } = await open(t);
    const first = await client.runPodSandbox(webSandboxConfig());

    const duplicate = await criErrorOf(client.runPodSandbox(webSandboxConfig()));
    await client.removePodSandbox(first);
    const second = await client.runPodSandbox(webSandboxConfig());

    assert.match(duplicate.details, new RegExp(`is reserved for "${first}"`));
    assert.notEqual(second, first);
  });

  test("execSync returns the configured result", async (t) => {
    const { fake, client } = await open(t, { execResult: { stdout: "ok\n", stderr: "warn\n", exitCode: 2 } });
    const { containerId } = await createWebPod(client);
    await client.startContainer(containerId);

    const result = await client.execSync(containerId, ["cat", "/ready"], 3);

    assert.equal(Buffer.from(result.stdout).toString(), "ok\n");
    assert.equal(Buffer.from(result.stderr).toString(), "warn\n");
    assert.equal(result.exitCode, 2);
    const [request] = fake.requests(ExecSyncRequestSchema);
    assert.deepEqual(request?.cmd, ["cat", "/ready"]);
    assert.equal(request.timeout, 3n);
  });

  test("imageStatus is undefined until pulled", async (t) => {
    const { fake, client } = await open(t);

    const before = await client.imageStatus("registry.example/nginx:1.25");
    const imageRef = await client.pullImage("registry.example/nginx:1.25", webSandboxConfig());
    const afterPull = await client.imageStatus("registry.example/nginx:1.25");

    assert.equal(before, undefined);
    assert.match(imageRef, /^sha256:[0-9a-f]{64}$/);
    assert.equal(afterPull?.id, imageRef);
    assert.deepEqual(afterPull.repoTags, ["registry.example/nginx:1.25"]);
    const [request] = fake.requests(PullImageRequestSchema);
    assert.equal(request?.image?.image, "registry.example/nginx:1.25");
    assert.equal(request.sandboxConfig?.metadata?.name, "web");
  });

  test("preloaded and failing images", async (t) => {
    const { fake, client } = await open(t, { failingImages: ["registry.example/missing:1"] });
    fake.preloadImage("registry.example/pause:3.9");

    const preloaded = await client.imageStatus("registry.example/pause:3.9");
    const error = await criErrorOf(client.pullImage("registry.example/missing:1"));

    assert.equal(preloaded?.repoTags[0], "registry.example/pause:3.9");
    assert.equal(error.method, "PullImage");
    assert.equal(error.code, Code.NOT_FOUND);
    assert.equal(await client.imageStatus("registry.example/missing:1"), undefined);
  });
});

describe("CriClient errors", () => {
  /** Every client method with the CRI method it calls and arguments that would otherwise succeed. */
  const methods: Array<[string, (client: CriClient) => Promise<unknown>]> = [
    ["Version", (c) => c.version()],
    ["RunPodSandbox", (c) => c.runPodSandbox(webSandboxConfig())],
    ["StopPodSandbox", (c) => c.stopPodSandbox("any")],
    ["RemovePodSandbox", (c) => c.removePodSandbox("any")],
    ["PodSandboxStatus", (c) => c.podSandboxStatus("any")],
    ["ListPodSandbox", (c) => c.listPodSandbox()],
    ["CreateContainer", (c) => c.createContainer("any", nginxConfig(), webSandboxConfig())],
    ["StartContainer", (c) => c.startContainer("any")],
    ["StopContainer", (c) => c.stopContainer("any", 1)],
    ["RemoveContainer", (c) => c.removeContainer("any")],
    ["ListContainers", (c) => c.listContainers()],
    ["ContainerStatus", (c) => c.containerStatus("any")],
    ["ExecSync", (c) => c.execSync("any", ["true"], 1)],
    ["ImageStatus", (c) => c.imageStatus("registry.example/nginx:1.25")],
    ["PullImage", (c) => c.pullImage("registry.example/nginx:1.25")],
  ];

  for (const [method, call] of methods) {
    test(`${method} failure becomes a CriError`, async (t) => {
      const { fake, client } = await open(t);
      fake.failNext(method, Code.RESOURCE_EXHAUSTED, "injected failure");

      const error = await criErrorOf(call(client));

      assert.equal(error.method, method);
      assert.equal(error.code, Code.RESOURCE_EXHAUSTED);
      assert.equal(error.details, "injected failure");
      assert.equal(error.socketPath, fake.socketPath);
      assert.equal(error.message, `cri ${method}: resource exhausted: injected failure`);
      assert.deepEqual(fake.calls.map((c) => c.method), [method]);
    });
  }

  test("status codes set the error flags", async (t) => {
    const { fake, client } = await open(t);
    const cases: Array<[number, keyof Pick<CriError, "notFound" | "unreachable" | "deadlineExceeded">]> = [
      [Code.NOT_FOUND, "notFound"],
      [Code.UNAVAILABLE, "unreachable"],
      [Code.DEADLINE_EXCEEDED, "deadlineExceeded"],
    ];

    for (const [code, flag] of cases) {
      fake.failNext("StopContainer", code, "injected");
      const error = await criErrorOf(client.stopContainer("c1", 0));
      assert.equal(error.code, code);
      assert.equal(error[flag], true, `code ${code} should set ${flag}`);
    }
  });

  test("failNext fails one call only", async (t) => {
    const { fake, client } = await open(t);
    fake.failNext("Version", Code.INTERNAL, "once");

    await criErrorOf(client.version());
    const version = await client.version();

    assert.equal(version.runtimeName, "fake-cri");
  });

  test("duplicate container name is reserved", async (t) => {
    const { client } = await open(t);
    const { sandboxId, containerId } = await createWebPod(client);

    const error = await criErrorOf(client.createContainer(sandboxId, nginxConfig(), webSandboxConfig()));
    const nextAttempt = await client.createContainer(sandboxId, nginxConfig(1), webSandboxConfig());

    assert.equal(error.method, "CreateContainer");
    assert.equal(error.code, Code.UNKNOWN);
    assert.match(error.details, new RegExp(`name "nginx_web_default_0123456789abcdef0123456789abcdef_0" is reserved for "${containerId}"`));
    assert.notEqual(nextAttempt, containerId);
  });

  test("delayed call hits the deadline", async (t) => {
    const { fake, client, events } = await open(t, {}, { callTimeoutMs: 100 });
    fake.delay("ListPodSandbox", 2_000);

    const started = performance.now();
    const error = await criErrorOf(client.listPodSandbox());
    const elapsedMs = performance.now() - started;

    assert.equal(error.deadlineExceeded, true);
    assert.equal(error.code, Code.DEADLINE_EXCEEDED);
    assert.equal(error.method, "ListPodSandbox");
    assert.ok(elapsedMs < 1_000, `the call took ${elapsedMs} ms, longer than its 100 ms deadline allows`);
    assert.equal(events.at(-1)?.error, error);

    fake.delay("ListPodSandbox", 0);
    assert.deepEqual(await client.listPodSandbox(), []);
  });

  test("pulls and stops get longer deadlines", async (t) => {
    const { fake, client } = await open(t, {}, { callTimeoutMs: 100, pullTimeoutMs: 5_000 });
    const { containerId } = await createWebPod(client);
    await client.startContainer(containerId);
    fake.delay("PullImage", 300);
    fake.delay("StopContainer", 300);

    await client.pullImage("registry.example/nginx:1.25");
    await client.stopContainer(containerId, 1);

    assert.equal(fake.hasImage("registry.example/nginx:1.25"), true);
    assert.equal((await client.containerStatus(containerId)).state, ContainerState.CONTAINER_EXITED);
  });

  test("missing socket names the path", async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), "tinylet-client-test-"));
    const socketPath = path.join(dir, "containerd.sock");
    const client = new CriClient({ socketPath });
    t.after(async () => {
      client.close();
      await rm(dir, { recursive: true, force: true });
    });

    const error = await criErrorOf(client.version());

    assert.equal(error.code, Code.UNAVAILABLE);
    assert.equal(error.unreachable, true);
    assert.equal(error.socketPath, socketPath);
    assert.ok(error.message.startsWith("cri Version: unavailable: "), error.message);
    assert.ok(error.message.includes(socketPath), error.message);
    assert.match(error.message, /is the runtime \(containerd\) running\?/);
    assert.doesNotMatch(error.message, /\n\s+at /);
  });

  test("regular file at the socket path", async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), "tinylet-client-test-"));
    const socketPath = path.join(dir, "containerd.sock");
    await writeFile(socketPath, "not a socket\n");
    const client = new CriClient({ socketPath });
    t.after(async () => {
      client.close();
      await rm(dir, { recursive: true, force: true });
    });

    const error = await criErrorOf(client.listContainers());

    assert.equal(error.code, Code.UNAVAILABLE);
    assert.equal(error.method, "ListContainers");
    assert.ok(error.message.includes(socketPath), error.message);
    assert.match(error.message, /refused the connection/);
    assert.doesNotMatch(error.message, /\n\s+at /);
  });

  test("onCall reports method, duration and error", async (t) => {
    const { fake, client, events } = await open(t);
    fake.delay("Version", 50);
    fake.failNext("StartContainer", Code.FAILED_PRECONDITION, "not created");

    await client.version();
    const error = await criErrorOf(client.startContainer("c1"));

    assert.deepEqual(
      events.map((e) => [e.method, e.error]),
      [
        ["Version", undefined],
        ["StartContainer", error],
      ],
    );
    assert.ok((events[0]?.durationMs ?? 0) >= 45, `Version took ${events[0]?.durationMs} ms, less than its 50 ms delay`);
    assert.ok(Number.isFinite(events[1]?.durationMs));
    assert.ok((events[1]?.durationMs ?? -1) >= 0);
  });
});
