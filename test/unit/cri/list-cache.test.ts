import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";

import { ContainerSchema, ContainerState, CriClient, ListContainersResponseSchema, type Container } from "../../../src/cri/index.js";
import { ListItemCache } from "../../../src/cri/list-cache.js";
import { expectSocketsClosed, socketHandleCount, startFakeCri, type FakeCri } from "../../support/fake-cri.js";

const IMAGE = "registry.example/busybox:1.36";
const SELECTOR = { tinylet: "true" };

/** Runs `count` labelled sandboxes with one running container each; returns the container IDs. */
async function runPods(fake: FakeCri, count: number): Promise<string[]> {
  const client = new CriClient({ socketPath: fake.socketPath });
  const ids: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const sandboxConfig = { metadata: { name: `pod-${i}`, namespace: "default", uid: `uid-${i}`, attempt: 0 }, labels: SELECTOR };
      const sandboxId = await client.runPodSandbox(sandboxConfig);
      const containerId = await client.createContainer(sandboxId, { metadata: { name: "main", attempt: 0 }, image: { image: IMAGE }, labels: SELECTOR }, sandboxConfig);
      await client.startContainer(containerId);
      ids.push(containerId);
    }
  } finally {
    client.close();
  }
  return ids;
}

function byId<T extends { id: string }>(items: readonly T[]): Map<string, T> {
  return new Map(items.map((item) => [item.id, item]));
}

let socketBaseline = 0;
before(() => {
  socketBaseline = socketHandleCount();
});
after(async () => {
  await expectSocketsClosed(socketBaseline);
});

describe("CriClient with reuseListItems", () => {
  test("reuses only unchanged items", async (t) => {
    const fake = await startFakeCri({ images: [IMAGE] });
    t.after(() => fake.close());
    const [first = "", second = "", third = ""] = await runPods(fake, 3);
    const cached = new CriClient({ socketPath: fake.socketPath, reuseListItems: true });
    const plain = new CriClient({ socketPath: fake.socketPath });
    t.after(() => {
      cached.close();
      plain.close();
    });

    const before = byId(await cached.listContainers(SELECTOR));
    const sandboxesBefore = byId(await cached.listPodSandbox(SELECTOR));
    fake.exitContainer(second, 1);
    const afterExit = byId(await cached.listContainers(SELECTOR));
    const sandboxesAfter = byId(await cached.listPodSandbox(SELECTOR));

    // Unchanged items are the very objects of the previous call; the exited one is new.
    assert.equal(afterExit.get(first), before.get(first));
    assert.equal(afterExit.get(third), before.get(third));
    assert.notEqual(afterExit.get(second), before.get(second));
    assert.equal(afterExit.get(second)?.state, ContainerState.CONTAINER_EXITED);
    for (const [id, sandbox] of sandboxesAfter) {
      assert.equal(sandbox, sandboxesBefore.get(id));
    }

    // The content is what a client without the cache decodes.
    assert.deepEqual(afterExit, byId(await plain.listContainers(SELECTOR)));
    assert.deepEqual(sandboxesAfter, byId(await plain.listPodSandbox(SELECTOR)));

    // A container removed from the runtime is gone from the next list.
    await plain.removeContainer(first);
    const afterRemove = byId(await cached.listContainers(SELECTOR));
    assert.deepEqual([...afterRemove.keys()].sort(), [second, third].sort());
  });

  test("decodes anew without the option", async (t) => {
    const fake = await startFakeCri({ images: [IMAGE] });
    t.after(() => fake.close());
    const [id] = await runPods(fake, 1);
    const plain = new CriClient({ socketPath: fake.socketPath });
    t.after(() => plain.close());

    const [a] = await plain.listContainers(SELECTOR);
    const [b] = await plain.listContainers(SELECTOR);
    assert.equal(a?.id, id);
    assert.notEqual(a, b);
  });
});

describe("ListItemCache", () => {
  const container = (id: string): Container => create(ContainerSchema, { id, podSandboxId: "s", state: ContainerState.CONTAINER_RUNNING });
  const encode = (containers: Container[]): Buffer => Buffer.from(toBinary(ListContainersResponseSchema, create(ListContainersResponseSchema, { containers })));

  test("finds items in any order", () => {
    const cache = new ListItemCache((bytes) => fromBinary(ContainerSchema, bytes));
    const first = cache.decode(encode([container("a"), container("b")]));
    const second = cache.decode(encode([container("b"), container("a")]));
    assert.deepEqual(second?.map((item) => item.id), ["b", "a"]);
    assert.equal(second?.[0], first?.[1]);
    assert.equal(second?.[1], first?.[0]);
  });

  test("finds items with reordered map entries", () => {
    const mapFields = ContainerSchema.fields.filter((field) => field.fieldKind === "map").map((field) => field.number);
    const cache = new ListItemCache((bytes) => fromBinary(ContainerSchema, bytes), mapFields);
    const labelled = (labels: Record<string, string>, annotations: Record<string, string>): Container =>
      create(ContainerSchema, { id: "a", podSandboxId: "s", state: ContainerState.CONTAINER_RUNNING, createdAt: 1_700_000_000_000_000_000n, labels, annotations });
    const first = encode([labelled({ x: "1", y: "2", z: "3" }, { p: "q", r: "s" })]);
    const shuffled = encode([labelled({ z: "3", x: "1", y: "2" }, { r: "s", p: "q" })]);
    assert.notDeepEqual(first, shuffled, "the test needs two encodings that differ");

    const [original] = cache.decode(first) ?? [];
    const [again] = cache.decode(shuffled) ?? [];
    assert.ok(original !== undefined);
    assert.equal(again, original);

    // A changed value, a moved entry (a label turned annotation) or a changed plain field is a new item.
    const changes: Array<[string, Container]> = [
      ["label value", labelled({ x: "1", y: "2", z: "4" }, { p: "q", r: "s" })],
      ["entry in the other map", labelled({ x: "1", y: "2" }, { p: "q", r: "s", z: "3" })],
      ["plain field", { ...labelled({ x: "1", y: "2", z: "3" }, { p: "q", r: "s" }), state: ContainerState.CONTAINER_EXITED }],
    ];
    for (const [name, changed] of changes) {
      const [kept, decoded] = cache.decode(encode([labelled({ y: "2", z: "3", x: "1" }, { p: "q", r: "s" }), changed])) ?? [];
      assert.equal(kept, original, name);
      assert.notEqual(decoded, original, name);
      assert.deepEqual(decoded, fromBinary(ContainerSchema, toBinary(ContainerSchema, changed)), name);
    }
  });

  test("declines what it cannot take apart", () => {
    const cache = new ListItemCache((bytes) => fromBinary(ContainerSchema, bytes));
    const valid = encode([container("a")]);
    const cases: Array<[string, Buffer]> = [
      ["another field", Buffer.concat([valid, Buffer.from([0x12, 0x00])])],
      ["a length past the end", Buffer.from([0x0a, 0x05, 0x01])],
      ["a truncated tag", Buffer.from([0x8a])],
      ["a varint over 32 bits", Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])],
    ];
    for (const [name, bytes] of cases) {
      assert.equal(cache.decode(bytes), undefined, name);
    }
    assert.deepEqual(cache.decode(Buffer.alloc(0)), []);
  });
});
