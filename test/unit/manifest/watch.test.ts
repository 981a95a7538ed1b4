import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { after, before, describe, it } from "node:test";

import { watchDirectory, type DirectoryWatcher } from "../../../src/manifest/index.js";

/** Long enough for fs.watch to deliver events and a 20 ms debounce to fire. */
const QUIET_MS = 150;

let root: string;
let counter = 0;

before(async () => {
  root = await mkdtemp(join(tmpdir(), "tinylet-manifest-watch-"));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function freshDir(): Promise<string> {
  counter += 1;
  const dir = join(root, `w${counter}`);
  await mkdir(dir);
  return dir;
}

/** Counts onChange calls and lets a test wait for the next one. */
class ChangeRecorder {
  count = 0;
  errors: Error[] = [];
  private waiters: (() => void)[] = [];

  readonly onChange = (): void => {
    this.count += 1;
    for (const resolve of this.waiters.splice(0)) resolve();
  };

  readonly onError = (err: Error): void => {
    this.errors.push(err);
  };

  next(timeoutMs = 2000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no change within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

function watch(dir: string, recorder: ChangeRecorder, debounceMs = 20): DirectoryWatcher {
  return watchDirectory(dir, recorder.onChange, { debounceMs, onError: recorder.onError, persistent: false });
}

describe("watchDirectory", () => {
  it("coalesces a burst into one call", async () => {
    const dir = await freshDir();
    const recorder = new ChangeRecorder();
    const watcher = watch(dir, recorder, 50);
    try {
      const changed = recorder.next();
      for (let i = 0; i < 5; i++) await writeFile(join(dir, `p${i}.yaml`), "name: x\n");
      await changed;
      await delay(QUIET_MS);
      assert.equal(recorder.count, 1);
      assert.deepEqual(recorder.errors, []);
    } finally {
      watcher.close();
    }
  });

  it("ignores names that are not manifests", async () => {
    const dir = await freshDir();
    const recorder = new ChangeRecorder();
    const watcher = watch(dir, recorder);
    try {
      await writeFile(join(dir, ".web.yaml.swp"), "x");
      await writeFile(join(dir, "4913"), "");
      await writeFile(join(dir, "web.yaml~"), "x");
      await delay(QUIET_MS);
      assert.equal(recorder.count, 0);

      const changed = recorder.next();
      await writeFile(join(dir, "web.yaml"), "x");
      await changed;
      assert.equal(recorder.count, 1);
    } finally {
      watcher.close();
    }
  });

  it("reports a removed directory and rearms", async () => {
    const dir = await freshDir();
    const recorder = new ChangeRecorder();
    const watcher = watch(dir, recorder);
    try {
      assert.equal(watcher.armed, true);
      const changed = recorder.next();
      await rm(dir, { recursive: true });
      await changed;
      assert.equal(watcher.armed, false);
      assert.equal(recorder.errors.length, 1);
      assert.match(recorder.errors[0]?.message ?? "", new RegExp(`failed to watch manifest directory ${dir}: ENOENT`));

      await mkdir(dir);
      assert.equal(watcher.rearm(), true);
      assert.equal(watcher.armed, true);
      const rearmed = recorder.next();
      await writeFile(join(dir, "web.yaml"), "x");
      await rearmed;
    } finally {
      watcher.close();
    }
  });

  it("reports a missing directory at start", async () => {
    const dir = join(await freshDir(), "missing");
    const recorder = new ChangeRecorder();
    const watcher = watch(dir, recorder);
    try {
      assert.equal(watcher.armed, false);
      assert.equal(recorder.errors.length, 1);
      assert.equal(watcher.rearm(), false);
      assert.equal(recorder.errors.length, 2);

      await mkdir(dir);
      assert.equal(watcher.rearm(), true);
      const changed = recorder.next();
      await writeFile(join(dir, "web.json"), "{}");
      await changed;
    } finally {
      watcher.close();
    }
  });

  it("cancels a pending call on close", async () => {
    const dir = await freshDir();
    const recorder = new ChangeRecorder();
    const watcher = watch(dir, recorder, 50);
    await writeFile(join(dir, "web.yaml"), "x");
    await delay(10);
    watcher.close();
    await delay(QUIET_MS);
    assert.equal(recorder.count, 0);
    assert.equal(watcher.armed, false);
    assert.equal(watcher.rearm(), false);
  });
});
