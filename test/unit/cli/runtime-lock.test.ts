import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { CommandError } from "../../../src/cli/output.js";
import { lockName, lockRuntime } from "../../../src/cli/runtime-lock.js";

// Each test uses socket paths of its own, because the lock names are shared by every process in this network namespace.
const SOCKET = `/run/tinylet-test-${process.pid}/containerd.sock`;

describe("runtime lock", () => {
  test("second lock on one runtime rejected", async () => {
    const first = await lockRuntime(SOCKET);
    try {
      await assert.rejects(lockRuntime(SOCKET), (error: unknown) => {
        assert.ok(error instanceof CommandError);
        assert.match(error.message, /another tinylet daemon is running on the runtime at /);
        assert.ok(error.message.includes(SOCKET), error.message);
        return true;
      });
    } finally {
      await first.release();
    }
  });

  test("released lock can be taken again", async () => {
    const first = await lockRuntime(`${SOCKET}.again`);
    await first.release();
    const second = await lockRuntime(`${SOCKET}.again`);
    await second.release();
  });

  test("other runtimes locked separately", async () => {
    const first = await lockRuntime(`${SOCKET}.a`);
    const second = await lockRuntime(`${SOCKET}.b`);
    assert.notEqual(first.name, second.name);
    await Promise.all([first.release(), second.release()]);
  });

  test("relative and absolute paths share a lock", () => {
    assert.equal(lockName("containerd.sock"), lockName(`${process.cwd()}/containerd.sock`));
  });
});
