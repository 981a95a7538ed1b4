/**
 * Settings of the node tinylet runs on: its name and addresses, where pod state lives,
 * the host's DNS settings and memory, and how pod cgroups are named. The daemon builds one at start
 * from its flags and the host; the runtime-config functions read it, so they stay pure.
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import type { Pod } from "../manifest/index.js";

/** Cgroup naming of the runtime: plain paths (cgroupfs), systemd slices, or no cgroup parent at all. */
export type CgroupDriver = "cgroupfs" | "systemd" | "none";

/** The host's resolver configuration, as read from its resolv.conf. */
export interface HostDns {
  servers: string[];
  searches: string[];
  options: string[];
}

/** Settings of the node, shared by every pod. */
export interface NodeSettings {
  /** The node's name: `spec.nodeName` of every pod and, with kubeletPodNames, the suffix of pod names. Lowercase. */
  nodeName: string;
  /** The node's addresses, primary first: `status.hostIP`, and the pod IP of hostNetwork pods. */
  nodeIPs: string[];
  /** Root of per-pod state: `pods/UID/` contains volumes, the hosts file and termination messages. */
  stateDir: string;
  /** Name pods NAME-NODENAME, as kubelet names static pods. */
  kubeletPodNames: boolean;
  cgroupDriver: CgroupDriver;
  /** The node's memory in bytes, for Burstable containers' OOM score adjustment and unset memory limits in resourceFieldRef. */
  memoryCapacityBytes: number;
  /** The node's CPUs in millicores, for unset cpu limits in resourceFieldRef. */
  cpuCapacityMillis: number;
  /** The host's resolver settings, used by dnsPolicy Default and by ClusterFirst without a cluster. */
  hostDns: HostDns;
}

/** Default state directory, beside kubelet's /var/lib/kubelet. */
export const DEFAULT_STATE_DIR = "/var/lib/tinylet";

/** The host's resolv.conf. */
export const HOST_RESOLV_CONF = "/etc/resolv.conf";

let fallback: NodeSettings | undefined;

/**
 * Returns node settings read from this host, with a state directory under the system's temporary
 * directory. Library code and tests that pass no settings get these; the daemon passes its own.
 */
export function fallbackNodeSettings(): NodeSettings {
  fallback ??= hostNodeSettings({ stateDir: path.join(os.tmpdir(), "tinylet-state") });
  return fallback;
}

/** Builds node settings from the host: its host name, addresses, memory and resolv.conf. */
export function hostNodeSettings(overrides: Partial<NodeSettings> = {}): NodeSettings {
  return {
    nodeName: (overrides.nodeName ?? os.hostname()).toLowerCase(),
    nodeIPs: overrides.nodeIPs ?? hostAddresses(),
    stateDir: overrides.stateDir ?? DEFAULT_STATE_DIR,
    kubeletPodNames: overrides.kubeletPodNames ?? false,
    cgroupDriver: overrides.cgroupDriver ?? "cgroupfs",
    memoryCapacityBytes: overrides.memoryCapacityBytes ?? os.totalmem(),
    cpuCapacityMillis: overrides.cpuCapacityMillis ?? os.availableParallelism() * 1000,
    hostDns: overrides.hostDns ?? hostResolverConfig(),
  };
}

/**
 * Returns the host's addresses to report as `status.hostIP`: every IPv4 and then every IPv6
 * address that is neither loopback nor link-local, in interface order, or 127.0.0.1 when there is
 * none. kubelet picks the address its host name resolves to, or the default route's; this is
 * close, without a DNS lookup.
 */
export function hostAddresses(): string[] {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.internal) continue;
      if (address.family === "IPv4") v4.push(address.address);
      else if (!address.address.toLowerCase().startsWith("fe80:")) v6.push(address.address);
    }
  }
  const all = [...v4, ...v6];
  return all.length > 0 ? all : ["127.0.0.1"];
}

/** systemd-resolved's list of upstream servers, which kubeadm points kubelet at instead of its 127.0.0.53 stub. */
const SYSTEMD_RESOLV_CONF = "/run/systemd/resolve/resolv.conf";

/**
 * Returns the host's resolver settings for pods. When /etc/resolv.conf names only loopback servers
 * (systemd-resolved's stub), which a pod on its own network cannot reach, systemd-resolved's
 * upstream list is used instead when it exists.
 */
export function hostResolverConfig(): HostDns {
  const dns = readHostDns(HOST_RESOLV_CONF);
  const loopbackOnly = dns.servers.length > 0 && dns.servers.every((server) => server.startsWith("127.") || server === "::1");
  if (!loopbackOnly) return dns;
  const upstream = readHostDns(SYSTEMD_RESOLV_CONF);
  return upstream.servers.length > 0 ? upstream : dns;
}

/** Reads nameservers, search domains and options from a resolv.conf; a missing file gives none. */
export function readHostDns(file: string): HostDns {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return { servers: [], searches: [], options: [] };
  }
  return parseResolvConf(text);
}

/** Parses resolv.conf text as the resolver does: the last `search` line wins, `#` and `;` start comments. */
export function parseResolvConf(text: string): HostDns {
  const dns: HostDns = { servers: [], searches: [], options: [] };
  for (const rawLine of text.split("\n")) {
    const line = rawLine.replace(/[#;].*$/, "").trim();
    const [keyword, ...values] = line.split(/\s+/);
    if (keyword === "nameserver" && values[0] !== undefined) dns.servers.push(values[0]);
    else if (keyword === "search") dns.searches = values;
    else if (keyword === "options") dns.options.push(...values);
  }
  return dns;
}

/**
 * Returns the pods as this node runs them: unchanged, or with kubeletPodNames named NAME-NODENAME,
 * as kubelet names static pods (their UID stays the hash of the manifest's content).
 */
export function podsForNode(pods: readonly Pod[], node: NodeSettings): Pod[] {
  if (!node.kubeletPodNames) return [...pods];
  return pods.map((pod) => ({ ...pod, name: `${pod.name}-${node.nodeName}` }));
}
