import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { nodeSettingsFromFlags } from "../../../src/cli/node-flags.js";
import { UsageError } from "../../../src/cli/output.js";
import { parseResolvConf } from "../../../src/reconcile/node.js";

describe("parseResolvConf", () => {
  it("reads servers, the last search line and options", () => {
    const dns = parseResolvConf(
      ["# comment", "nameserver 192.0.2.1", "search old.example", "nameserver 192.0.2.2 ; trailing", "search a.example b.example", "options ndots:2 edns0", ""].join("\n"),
    );
    assert.deepEqual(dns, { servers: ["192.0.2.1", "192.0.2.2"], searches: ["a.example", "b.example"], options: ["ndots:2", "edns0"] });
  });
});

describe("node flags", () => {
  it("builds settings from the flags", () => {
    const node = nodeSettingsFromFlags({
      "state-dir": "/tmp/state",
      "node-name": "Edge-1",
      "node-ip": "192.0.2.7, 2001:db8::7",
      "kubelet-pod-names": true,
      "cgroup-driver": "systemd",
    });
    assert.equal(node.stateDir, "/tmp/state");
    assert.equal(node.nodeName, "edge-1");
    assert.deepEqual(node.nodeIPs, ["192.0.2.7", "2001:db8::7"]);
    assert.equal(node.kubeletPodNames, true);
    assert.equal(node.cgroupDriver, "systemd");
  });

  const invalid: [string, Record<string, string>, RegExp][] = [
    ["node name", { "node-name": "bad_name" }, /invalid --node-name/],
    ["node IP", { "node-ip": "192.0.2.7,nope" }, /invalid --node-ip "nope"/],
    ["cgroup driver", { "cgroup-driver": "cgroupv3" }, /invalid --cgroup-driver "cgroupv3": expected one of cgroupfs, systemd, none/],
  ];
  for (const [name, values, message] of invalid) {
    it(`rejects an invalid ${name}`, () => {
      assert.throws(() => nodeSettingsFromFlags(values), (error: unknown) => error instanceof UsageError && message.test(error.message));
    });
  }
});
