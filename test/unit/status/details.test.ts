import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { create } from "@bufbuild/protobuf";

import { ContainerStatusSchema, type ContainerStatus, type CriClient } from "../../../src/cri/index.js";
import type { ContainerInstanceState, ObservedContainer, ObservedState } from "../../../src/reconcile/observed.js";
import { DETAILS_WAIT_MS, RuntimeDetails } from "../../../src/status/details.js";

const NOW = 1_700_000_000_000;
const STARTED_AT_MS = NOW - 500;

/** A runtime that returns a ContainerStatus for any ID and records the requested IDs. */
function runtime(): { cri: CriClient; requested: string[] } {
  const requested: string[] = [];
  const stub = {
    containerStatus: async (id: string): Promise<ContainerStatus> => {
      requested.push(id);
      return create(ContainerStatusSchema, { id, startedAt: BigInt(STARTED_AT_MS) * 1_000_000n, imageRef: "sha256:1" });
    },
  };
  return { cri: stub as unknown as CriClient, requested };
}

function container(id: string, state: ContainerInstanceState, ageMs: number): ObservedContainer {
  return { id, sandboxId: "sb-1", name: "main", attempt: 0, state, image: "busybox", createdAtMs: NOW - ageMs };
}

function observed(...containers: ObservedContainer[]): ObservedState {
  return { sandboxes: [], containers };
}

describe("RuntimeDetails", () => {
  test("idle refresh reads started containers", async () => {
    const { cri, requested } = runtime();
    const details = new RuntimeDetails(cri);
    const learned = await details.refresh(observed(container("young", "running", 100), container("done", "exited", 100)), { busy: false, nowMs: NOW });

    assert.equal(learned, true);
    assert.deepEqual(requested.sort(), ["done", "young"]);
    assert.equal(details.container("young")?.startedAtMs, STARTED_AT_MS);
  });

  test("busy refresh defers young running containers", async () => {
    const cases = [
      { name: "running, just created", state: "running" as const, ageMs: 100, expected: false },
      { name: "running, just under the wait", state: "running" as const, ageMs: DETAILS_WAIT_MS - 1, expected: false },
      { name: "running, waited long enough", state: "running" as const, ageMs: DETAILS_WAIT_MS, expected: true },
      { name: "exited, just created", state: "exited" as const, ageMs: 100, expected: true },
      { name: "created, never started", state: "created" as const, ageMs: 100, expected: false },
    ];
    for (const { name, state, ageMs, expected } of cases) {
      const { cri, requested } = runtime();
      const details = new RuntimeDetails(cri);
      await details.refresh(observed(container("c1", state, ageMs)), { busy: true, nowMs: NOW });
      assert.equal(requested.length === 1, expected, name);
      assert.equal(details.container("c1") !== undefined, expected, name);
    }
  });

  test("deferred container read after starts", async () => {
    const { cri, requested } = runtime();
    const details = new RuntimeDetails(cri);
    const state = observed(container("c1", "running", 100));

    assert.equal(await details.refresh(state, { busy: true, nowMs: NOW }), false);
    assert.equal(await details.refresh(state, { busy: false, nowMs: NOW + 50 }), true);
    assert.deepEqual(requested, ["c1"]);
    assert.equal(await details.refresh(state, { busy: false, nowMs: NOW + 100 }), false, "a container is read once");
  });
});
