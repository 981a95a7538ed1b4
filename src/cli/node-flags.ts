/** The daemon's node flags: --state-dir, --node-name, --node-ip, --kubelet-pod-names and --cgroup-driver. */
import { isIP } from "node:net";
import path from "node:path";

import { DEFAULT_STATE_DIR, hostNodeSettings, type CgroupDriver, type NodeSettings } from "../reconcile/node.js";
import { checkDns1123Subdomain } from "../manifest/validate.js";
import { UsageError } from "./output.js";

const CGROUP_DRIVERS: readonly CgroupDriver[] = ["cgroupfs", "systemd", "none"];

/** Flag values as parseArgs returns them. */
export interface NodeFlagValues {
  "state-dir"?: string | undefined;
  "node-name"?: string | undefined;
  "node-ip"?: string | undefined;
  "kubelet-pod-names"?: boolean | undefined;
  "cgroup-driver"?: string | undefined;
}

/** Builds the node settings from the flags and the host; throws a UsageError for an invalid value. */
export function nodeSettingsFromFlags(values: NodeFlagValues): NodeSettings {
  const overrides: Partial<NodeSettings> = {
    stateDir: path.resolve(values["state-dir"] ?? DEFAULT_STATE_DIR),
    kubeletPodNames: values["kubelet-pod-names"] ?? false,
  };

  const nodeName = values["node-name"];
  if (nodeName !== undefined) {
    const problem = checkDns1123Subdomain(nodeName.toLowerCase());
    if (problem !== undefined) throw new UsageError(`invalid --node-name: ${problem}`);
    overrides.nodeName = nodeName;
  }

  const nodeIP = values["node-ip"];
  if (nodeIP !== undefined) {
    const addresses = nodeIP.split(",").map((address) => address.trim());
    const invalid = addresses.find((address) => isIP(address) === 0);
    if (invalid !== undefined) throw new UsageError(`invalid --node-ip "${invalid}": expected IP addresses separated by commas`);
    overrides.nodeIPs = addresses;
  }

  const driver = values["cgroup-driver"] ?? "cgroupfs";
  if (!(CGROUP_DRIVERS as readonly string[]).includes(driver)) {
    throw new UsageError(`invalid --cgroup-driver "${driver}": expected one of ${CGROUP_DRIVERS.join(", ")}`);
  }
  overrides.cgroupDriver = driver as CgroupDriver;
  return hostNodeSettings(overrides);
}
