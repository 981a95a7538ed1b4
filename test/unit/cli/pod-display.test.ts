import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ageColumn, readyColumn, restartsColumn, statusColumn } from "../../../src/cli/pod-display.js";
import type { ContainerState, ContainerStatus, V1Pod } from "../../../src/status/k8s-types.js";

const NOW = Date.parse("2026-01-01T00:10:00Z");

function containerStatus(name: string, state: ContainerState, overrides: Partial<ContainerStatus> = {}): ContainerStatus {
  return { name, state, lastState: {}, ready: state.running !== undefined, restartCount: 0, image: "busybox", imageID: "", ...overrides };
}

function pod(containers: ContainerStatus[], inits: ContainerStatus[] = [], phase: V1Pod["status"]["phase"] = "Running"): V1Pod {
  const ready = containers.every((c) => c.ready);
  return {
    kind: "Pod",
    apiVersion: "v1",
    metadata: { name: "web", namespace: "default", uid: "u", creationTimestamp: "2026-01-01T00:00:00Z" },
    spec: {},
    status: {
      phase,
      conditions: [{ type: "Ready", status: ready ? "True" : "False", lastProbeTime: null, lastTransitionTime: null }],
      containerStatuses: containers,
      ...(inits.length > 0 ? { initContainerStatuses: inits } : {}),
    },
  };
}

const RUNNING: ContainerState = { running: { startedAt: "2026-01-01T00:00:01Z" } };
const exited = (exitCode: number, reason?: string): ContainerState => ({
  terminated: { exitCode, ...(reason ? { reason } : {}), startedAt: null, finishedAt: "2026-01-01T00:09:35Z" },
});

describe("statusColumn", () => {
  const cases: { name: string; pod: V1Pod; expected: string }[] = [
    { name: "Running for a running container", pod: pod([containerStatus("main", RUNNING)]), expected: "Running" },
    {
      name: "the waiting reason of a crash-looping container",
      pod: pod([containerStatus("main", { waiting: { reason: "CrashLoopBackOff" } })]),
      expected: "CrashLoopBackOff",
    },
    {
      name: "ImagePullBackOff",
      pod: pod([containerStatus("main", { waiting: { reason: "ImagePullBackOff" } })], [], "Pending"),
      expected: "ImagePullBackOff",
    },
    { name: "Completed for a container that exited 0", pod: pod([containerStatus("main", exited(0, "Completed"))], [], "Succeeded"), expected: "Completed" },
    { name: "Error for a failed container", pod: pod([containerStatus("main", exited(1, "Error"))], [], "Failed"), expected: "Error" },
    { name: "ExitCode without a reason", pod: pod([containerStatus("main", exited(3))], [], "Failed"), expected: "ExitCode:3" },
    {
      name: "Running when one container completed and another runs ready",
      pod: pod([containerStatus("job", exited(0, "Completed"), { ready: true }), containerStatus("main", RUNNING)]),
      expected: "Running",
    },
    {
      name: "Init:0/1 while the init container runs",
      pod: pod([containerStatus("main", { waiting: { reason: "PodInitializing" } })], [containerStatus("setup", RUNNING)], "Pending"),
      expected: "Init:0/1",
    },
    {
      name: "Init:CrashLoopBackOff for a crash-looping init container",
      pod: pod([containerStatus("main", { waiting: { reason: "PodInitializing" } })], [containerStatus("setup", { waiting: { reason: "CrashLoopBackOff" } })], "Pending"),
      expected: "Init:CrashLoopBackOff",
    },
    {
      name: "Init:Error for a failed init container",
      pod: pod([containerStatus("main", { waiting: { reason: "PodInitializing" } })], [containerStatus("setup", exited(1, "Error"))], "Failed"),
      expected: "Init:Error",
    },
    {
      name: "ContainerCreating while starting",
      pod: pod([containerStatus("main", { waiting: { reason: "ContainerCreating" } })], [], "Pending"),
      expected: "ContainerCreating",
    },
  ];
  for (const testCase of cases) {
    it(`shows ${testCase.name}`, () => {
      assert.equal(statusColumn(testCase.pod), testCase.expected);
    });
  }
});

describe("readyColumn and restartsColumn", () => {
  it("counts ready containers", () => {
    assert.equal(readyColumn(pod([containerStatus("a", RUNNING), containerStatus("b", RUNNING, { ready: false })])), "1/2");
  });

  it("prints AGE as kubectl does", () => {
    // The pod was created ten minutes before NOW.
    assert.equal(ageColumn(pod([]), NOW), "10m");
  });

  it("adds the age of the latest exit to the restart count", () => {
    const crashed = containerStatus("main", { waiting: { reason: "CrashLoopBackOff" } }, { restartCount: 3, lastState: exited(1, "Error") });
    assert.equal(restartsColumn(pod([crashed]), NOW), "3 (25s ago)");
    assert.equal(restartsColumn(pod([containerStatus("main", RUNNING)]), NOW), "0");
  });
});
