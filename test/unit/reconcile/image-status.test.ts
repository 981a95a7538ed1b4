import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { create } from "@bufbuild/protobuf";

import { ImageSchema, type Image } from "../../../src/cri/index.js";
import { ImageStatusReader } from "../../../src/reconcile/image-status.js";

const IMAGE = "registry.example/busybox:1.36";
const REUSE_MS = 1_000;

/** A runtime whose ImageStatus calls the test settles one by one, in call order. */
class Runtime {
  readonly requested: string[] = [];
  private readonly pending: Array<{ resolve: (image: Image | undefined) => void; reject: (error: Error) => void }> = [];

  imageStatus(image: string): Promise<Image | undefined> {
    this.requested.push(image);
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }

  /** Settles the oldest open call: present (with user `uid`), absent, or failed. */
  async settle(outcome: "present" | "absent" | "failed", uid = 0n): Promise<void> {
    const call = this.pending.shift();
    assert.ok(call !== undefined, "no ImageStatus call is open");
    if (outcome === "failed") call.reject(new Error("ImageStatus: unavailable"));
    else call.resolve(outcome === "present" ? create(ImageSchema, { id: "sha256:1", uid: { value: uid } }) : undefined);
    // The reader records the result in a callback of the same promise.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function setUp(): { runtime: Runtime; reader: ImageStatusReader; clock: { ms: number } } {
  const runtime = new Runtime();
  const clock = { ms: 0 };
  return { runtime, reader: new ImageStatusReader(runtime, REUSE_MS, () => clock.ms), clock };
}

describe("ImageStatusReader", () => {
  test("concurrent reads share one call", async () => {
    const { runtime, reader } = setUp();
    const first = reader.read(IMAGE);
    const second = reader.read(IMAGE);
    await runtime.settle("present", 1000n);

    assert.equal(runtime.requested.length, 1);
    assert.equal((await first)?.uid?.value, 1000n);
    assert.equal(await second, await first);
  });

  test("present image reused until expiry", async () => {
    const cases = [
      { name: "just after the result", afterMs: 0, calls: 1 },
      { name: "just before the end", afterMs: REUSE_MS - 1, calls: 1 },
      { name: "at the end", afterMs: REUSE_MS, calls: 2 },
      { name: "clock set back", afterMs: -1, calls: 2 },
    ];
    for (const { name, afterMs, calls } of cases) {
      const { runtime, reader, clock } = setUp();
      const first = reader.read(IMAGE);
      clock.ms = 500;
      await runtime.settle("present");
      await first;

      clock.ms = 500 + afterMs;
      void reader.read(IMAGE);
      assert.equal(runtime.requested.length, calls, name);
    }
  });

  test("absent or failed results not reused", async () => {
    for (const outcome of ["absent", "failed"] as const) {
      const { runtime, reader } = setUp();
      const first = reader.read(IMAGE);
      const waiting = reader.read(IMAGE);
      await runtime.settle(outcome);
      await Promise.allSettled([first, waiting]);
      assert.equal(runtime.requested.length, 1, `${outcome}: the start that waited shares the result`);

      void reader.read(IMAGE).catch(() => undefined);
      assert.equal(runtime.requested.length, 2, outcome);
    }
  });

  test("forget forces a new call", async () => {
    const { runtime, reader } = setUp();
    const first = reader.read(IMAGE);
    await runtime.settle("present");
    await first;

    reader.forget(IMAGE);
    void reader.read(IMAGE);
    assert.equal(runtime.requested.length, 2);
  });

  test("late result after forget ignored", async () => {
    const { runtime, reader } = setUp();
    const old = reader.read(IMAGE);
    reader.forget(IMAGE);
    const fresh = reader.read(IMAGE);
    await runtime.settle("present", 1n);
    await runtime.settle("present", 2n);
    await Promise.all([old, fresh]);

    assert.equal((await reader.read(IMAGE))?.uid?.value, 2n);
    assert.equal(runtime.requested.length, 2);
  });

  test("images cached separately", async () => {
    const { runtime, reader } = setUp();
    void reader.read(IMAGE);
    void reader.read("registry.example/nginx:1.27");
    assert.deepEqual(runtime.requested, [IMAGE, "registry.example/nginx:1.27"]);
  });
});
