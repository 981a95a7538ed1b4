/**
 * A pod's resolver configuration as kubelet builds it from dnsPolicy and dnsConfig. tinylet has no
 * cluster DNS, so ClusterFirst and ClusterFirstWithHostNet fall back to the host's settings, as
 * kubelet does when it has no cluster DNS address.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";

import type { DNSConfigSchema } from "../cri/index.js";
import type { DnsOption, Pod } from "../manifest/index.js";
import type { HostDns } from "./node.js";

type DnsConfig = MessageInitShape<typeof DNSConfigSchema>;

/** Limits the resolver imposes and kubelet applies by cutting the lists. */
const MAX_SERVERS = 3;
const MAX_SEARCHES = 32;
const MAX_SEARCH_CHARACTERS = 2048;

/** Builds the sandbox's DNS config: the host's settings (nothing for dnsPolicy None) with dnsConfig merged in. */
export function podDnsConfig(pod: Pick<Pod, "dnsPolicy" | "dnsConfig">, host: HostDns): DnsConfig {
  const base: HostDns = pod.dnsPolicy === "None" ? { servers: [], searches: [], options: [] } : host;
  const extra = pod.dnsConfig ?? {};

  const servers = unique([...base.servers, ...(extra.nameservers ?? [])]).slice(0, MAX_SERVERS);
  const searches = fitSearches(unique([...base.searches, ...(extra.searches ?? [])]));
  const options = mergeOptions(base.options, extra.options ?? []);
  return { servers, searches, options };
}

/** Merges resolver options by name; dnsConfig's win, and each name keeps its first position. */
function mergeOptions(host: readonly string[], pod: readonly DnsOption[]): string[] {
  const merged = new Map<string, string>();
  for (const option of host) {
    const colon = option.indexOf(":");
    if (colon === -1) merged.set(option, "");
    else merged.set(option.slice(0, colon), option.slice(colon + 1));
  }
  for (const option of pod) merged.set(option.name, option.value ?? "");
  return [...merged].map(([name, value]) => (value === "" ? name : `${name}:${value}`));
}

/** Keeps the first 32 search domains that fit in 2048 characters, joined by spaces. */
function fitSearches(searches: string[]): string[] {
  const kept: string[] = [];
  let length = 0;
  for (const search of searches.slice(0, MAX_SEARCHES)) {
    const added = (kept.length > 0 ? 1 : 0) + search.length;
    if (length + added > MAX_SEARCH_CHARACTERS) break;
    kept.push(search);
    length += added;
  }
  return kept;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
