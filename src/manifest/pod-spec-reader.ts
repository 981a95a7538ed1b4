/**
 * Reading the pod-level fields of the Kubernetes format beyond restartPolicy, hostNetwork, the grace
 * period and the containers: volumes, host namespaces, hostname, /etc/hosts aliases, DNS, the pod
 * securityContext, and the scheduling fields that have no meaning on a lone node.
 */
import { isIP } from "node:net";

import { isNull, quote, type DocumentReader, type Field, type Value } from "./document-reader.js";
import { hasBackstep, readEnum, readId, readQuantity, readSeccompProfile, warnOtherFields } from "./container-spec.js";
import { fieldValue, requirePresent, UNKNOWN_FIELD } from "./pod-fields.js";
import type { Container } from "./pod.js";
import type {
  DnsConfig,
  DnsOption,
  DnsPolicy,
  HostAlias,
  HostPathType,
  PodSecurityContext,
  PodSpecFields,
  Sysctl,
  Volume,
} from "./pod-spec.js";
import { quantityValue } from "./quantity.js";
import { checkDns1123Label, checkDns1123Subdomain } from "./validate.js";

/** Pod spec fields this module reads. */
export const POD_SPEC_FIELDS_READ: readonly string[] = [
  "volumes",
  "hostPID",
  "hostIPC",
  "shareProcessNamespace",
  "hostname",
  "subdomain",
  "setHostnameAsFQDN",
  "hostAliases",
  "dnsPolicy",
  "dnsConfig",
  "securityContext",
  "priorityClassName",
  "serviceAccountName",
  "serviceAccount",
];

/**
 * Pod spec fields that matter to a scheduler or an API server but not to a lone node. They are
 * accepted without a warning; docs/pod-spec.md lists what tinylet does with each.
 */
export const NODE_IRRELEVANT_FIELDS: readonly string[] = [
  "affinity",
  "automountServiceAccountToken",
  "enableServiceLinks",
  "hostUsers",
  "nodeName",
  "nodeSelector",
  "os",
  "preemptionPolicy",
  "priority",
  "readinessGates",
  "schedulerName",
  "schedulingGates",
  "tolerations",
  "topologySpreadConstraints",
];

const HOST_PATH_TYPES: readonly HostPathType[] = [
  "",
  "DirectoryOrCreate",
  "Directory",
  "FileOrCreate",
  "File",
  "Socket",
  "CharDevice",
  "BlockDevice",
];
const DNS_POLICIES: readonly DnsPolicy[] = ["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"];

/** Volume sources that name API objects, which a static pod cannot use. */
const API_OBJECT_VOLUMES = new Set(["configMap", "secret", "persistentVolumeClaim", "projected", "ephemeral"]);
/** Every other volume source Kubernetes defines; tinylet runs none of them. */
const OTHER_VOLUMES = new Set([
  "awsElasticBlockStore",
  "azureDisk",
  "azureFile",
  "cephfs",
  "cinder",
  "csi",
  "downwardAPI",
  "fc",
  "flexVolume",
  "flocker",
  "gcePersistentDisk",
  "gitRepo",
  "glusterfs",
  "image",
  "iscsi",
  "nfs",
  "photonPersistentDisk",
  "portworxVolume",
  "quobyte",
  "rbd",
  "scaleIO",
  "storageos",
  "vsphereVolume",
]);

/**
 * Sysctls kubelet allows without `--allowed-unsafe-sysctls` (Kubernetes 1.32): namespaced, and
 * unable to affect other pods.
 */
const SAFE_SYSCTLS = new Set([
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.ping_group_range",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_rmem",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.tcp_wmem",
]);
const SYSCTL_NAME = /^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$/;
const IPC_SYSCTL_PREFIXES = ["kernel.shm", "kernel.msg", "kernel.sem", "fs.mqueue."];

const MAX_NAMESERVERS = 3;
const MAX_SEARCHES = 32;
const MAX_SEARCH_CHARACTERS = 2048;

/** Reads the fields of POD_SPEC_FIELDS_READ; undefined when any has an error. */
export function readPodSpecFields(reader: DocumentReader, fields: Map<string, Field>, spec: Value, hostNetwork: boolean): PodSpecFields | undefined {
  const mark = reader.problems.errors.length;
  const result: PodSpecFields = {};

  const volumes = readVolumes(reader, fieldValue(fields, "volumes", spec));
  if (volumes !== undefined && volumes.length > 0) result.volumes = volumes;

  for (const name of ["hostPID", "hostIPC", "shareProcessNamespace", "setHostnameAsFQDN"] as const) {
    if (reader.boolean(fieldValue(fields, name, spec))) result[name] = true;
  }
  if (result.hostPID && result.shareProcessNamespace) {
    const at = fieldValue(fields, "shareProcessNamespace", spec);
    reader.error(at.at, at.path, "cannot be true when hostPID is true");
  }

  for (const name of ["hostname", "subdomain"] as const) {
    const value = fieldValue(fields, name, spec);
    const text = reader.string(value);
    if (!text) continue;
    const problem = checkDns1123Label(text);
    if (problem !== undefined) reader.error(value.at, value.path, problem);
    else result[name] = text;
  }

  const aliases = readHostAliases(reader, fieldValue(fields, "hostAliases", spec));
  if (aliases !== undefined && aliases.length > 0) result.hostAliases = aliases;

  const dnsPolicy = readEnum(reader, fieldValue(fields, "dnsPolicy", spec), DNS_POLICIES);
  if (dnsPolicy !== undefined) result.dnsPolicy = dnsPolicy;
  const dnsConfigValue = fieldValue(fields, "dnsConfig", spec);
  const dnsConfig = readDnsConfig(reader, dnsConfigValue);
  if (dnsConfig !== undefined && Object.keys(dnsConfig).length > 0) result.dnsConfig = dnsConfig;
  if (dnsPolicy === "None" && !dnsConfig?.nameservers?.length) {
    reader.error(dnsConfigValue.at, dnsConfigValue.path, "must name at least one nameserver when dnsPolicy is None");
  }

  const securityContext = readPodSecurityContext(reader, fieldValue(fields, "securityContext", spec), hostNetwork, result.hostIPC ?? false);
  if (securityContext !== undefined && Object.keys(securityContext).length > 0) result.securityContext = securityContext;

  const priorityClassName = reader.string(fieldValue(fields, "priorityClassName", spec));
  if (priorityClassName) result.priorityClassName = priorityClassName;
  const serviceAccountName =
    reader.string(fieldValue(fields, "serviceAccountName", spec)) ?? reader.string(fieldValue(fields, "serviceAccount", spec));
  if (serviceAccountName) result.serviceAccountName = serviceAccountName;

  checkIrrelevantFields(reader, fields, spec);
  return reader.problems.errors.length > mark ? undefined : result;
}

/** Checks the types of the fields accepted without a warning, and the few values tinylet cannot honour. */
function checkIrrelevantFields(reader: DocumentReader, fields: Map<string, Field>, spec: Value): void {
  reader.string(fieldValue(fields, "nodeName", spec));
  reader.string(fieldValue(fields, "schedulerName", spec));
  reader.integer(fieldValue(fields, "priority", spec));
  reader.stringMap(fieldValue(fields, "nodeSelector", spec));
  reader.list(fieldValue(fields, "tolerations", spec));

  const osValue = fieldValue(fields, "os", spec);
  const osFields = reader.fields(osValue);
  const osName = osFields === undefined ? undefined : reader.string(fieldValue(osFields, "name", osValue));
  if (osName !== undefined && osName !== "linux") {
    const at = fieldValue(osFields ?? new Map(), "name", osValue);
    reader.error(at.at, at.path, `${quote(osName)} pods cannot run on this Linux node`);
  }

  const hostUsersValue = fieldValue(fields, "hostUsers", spec);
  if (reader.boolean(hostUsersValue) === false) {
    reader.warning(fields.get("hostUsers")?.key ?? hostUsersValue.at, hostUsersValue.path, "user namespaces are not supported by tinylet; the pod runs in the host's user namespace");
  }
}

function readVolumes(reader: DocumentReader, value: Value): Volume[] | undefined {
  const items = reader.list(value);
  if (items === undefined) return undefined;
  const volumes: Volume[] = [];
  const names = new Map<string, string>();
  for (const item of items) {
    const fields = reader.fields(item);
    if (fields === undefined) continue;

    const nameValue = fieldValue(fields, "name", item);
    const name = requirePresent(reader, nameValue) ? reader.string(nameValue) : undefined;
    if (name !== undefined) {
      const problem = checkDns1123Label(name);
      const earlier = names.get(name);
      if (problem !== undefined) reader.error(nameValue.at, nameValue.path, problem);
      else if (earlier !== undefined) reader.error(nameValue.at, nameValue.path, `duplicate volume name ${quote(name)}; ${earlier} already uses it`);
      names.set(name, item.path);
    }

    const sources = [...fields.values()].filter((field) => field.name !== "name" && !isNull(field.value));
    for (const field of sources) {
      if (!API_OBJECT_VOLUMES.has(field.name) && !OTHER_VOLUMES.has(field.name) && field.name !== "hostPath" && field.name !== "emptyDir") {
        reader.warning(field.key, field.value.path, UNKNOWN_FIELD);
      }
    }
    const known = sources.filter((field) => field.name === "hostPath" || field.name === "emptyDir" || API_OBJECT_VOLUMES.has(field.name) || OTHER_VOLUMES.has(field.name));
    if (known.length !== 1) {
      const detail = known.length === 0 ? "no volume source" : `${known.length} volume sources (${known.map((field) => field.name).join(", ")})`;
      reader.error(item.at, item.path, `${detail}; a volume needs exactly one, and tinylet runs hostPath and emptyDir`);
      continue;
    }

    const source = known[0] as Field;
    const volume = readVolumeSource(reader, source);
    if (volume !== undefined && name !== undefined) volumes.push({ name, ...volume });
  }
  return volumes;
}

function readVolumeSource(reader: DocumentReader, source: Field): Omit<Volume, "name"> | undefined {
  const value = source.value;
  if (API_OBJECT_VOLUMES.has(source.name)) {
    reader.error(source.key, value.path, `${source.name} volumes are not supported: static pods cannot reference API objects, and tinylet has no API server; use hostPath or emptyDir`);
    return undefined;
  }
  if (OTHER_VOLUMES.has(source.name)) {
    reader.error(source.key, value.path, `${source.name} volumes are not supported by tinylet; use hostPath or emptyDir`);
    return undefined;
  }

  const fields = reader.fields(value);
  if (fields === undefined) return undefined;
  if (source.name === "hostPath") {
    warnOtherFields(reader, fields, new Set(["path", "type"]), new Set(["path", "type"]));
    const pathValue = fieldValue(fields, "path", value);
    const path = requirePresent(reader, pathValue) ? reader.string(pathValue) : undefined;
    const type = readEnum(reader, fieldValue(fields, "type", value), HOST_PATH_TYPES);
    if (path === undefined) return undefined;
    if (!path.startsWith("/")) {
      reader.error(pathValue.at, pathValue.path, `${quote(path)} must be an absolute path`);
      return undefined;
    }
    if (hasBackstep(path)) {
      reader.error(pathValue.at, pathValue.path, `${quote(path)} must not contain '..'`);
      return undefined;
    }
    return { hostPath: type ? { path, type } : { path } };
  }

  warnOtherFields(reader, fields, new Set(["medium", "sizeLimit"]), new Set(["medium", "sizeLimit"]));
  const mediumValue = fieldValue(fields, "medium", value);
  const medium = reader.string(mediumValue);
  if (medium !== undefined && medium !== "" && medium !== "Memory") {
    const detail = medium.startsWith("HugePages") ? "is not supported by tinylet" : "is not supported; expected \"\" or Memory";
    reader.error(mediumValue.at, mediumValue.path, `${quote(medium)} ${detail}`);
    return undefined;
  }
  const sizeValue = fieldValue(fields, "sizeLimit", value);
  const size = isNull(sizeValue) ? undefined : readQuantity(reader, sizeValue);
  if (!isNull(sizeValue) && size === undefined) return undefined;

  const emptyDir: Volume["emptyDir"] = {};
  if (medium === "Memory") emptyDir.medium = "Memory";
  if (size !== undefined) emptyDir.sizeLimitBytes = Number(quantityValue(size));
  return { emptyDir };
}

/**
 * Reports each volume mount whose volume is not in `volumes`. `containers` are the containers read
 * from `containersValue`, item for item.
 */
export function checkMountedVolumes(reader: DocumentReader, containersValue: Value, containers: readonly Container[], volumes: readonly Volume[]): void {
  const names = new Set(volumes.map((volume) => volume.name));
  const items = reader.list(containersValue) ?? [];
  containers.forEach((container, index) => {
    const item = items[index];
    if (item === undefined) return;
    const mountItems = reader.list(fieldValue(reader.fields(item) ?? new Map(), "volumeMounts", item)) ?? [];
    container.volumeMounts?.forEach((mount, mountIndex) => {
      if (names.has(mount.name)) return;
      const mountItem = mountItems[mountIndex] ?? item;
      const at = fieldValue(reader.fields(mountItem) ?? new Map(), "name", mountItem);
      reader.error(at.at, at.path, `volume ${quote(mount.name)} is not defined in spec.volumes`);
    });
  });
}

function readHostAliases(reader: DocumentReader, value: Value): HostAlias[] | undefined {
  const items = reader.list(value);
  if (items === undefined) return undefined;
  const aliases: HostAlias[] = [];
  for (const item of items) {
    const fields = reader.fields(item);
    if (fields === undefined) continue;
    warnOtherFields(reader, fields, new Set(["ip", "hostnames"]), new Set(["ip", "hostnames"]));
    const ipValue = fieldValue(fields, "ip", item);
    const ip = requirePresent(reader, ipValue) ? reader.string(ipValue) : undefined;
    if (ip !== undefined && isIP(ip) === 0) reader.error(ipValue.at, ipValue.path, `${quote(ip)} is not a valid IP address`);

    const namesValue = fieldValue(fields, "hostnames", item);
    const hostnames = reader.stringList(namesValue) ?? [];
    (reader.list(namesValue) ?? []).forEach((nameItem, index) => {
      const problem = checkDns1123Subdomain(hostnames[index] ?? "");
      if (problem !== undefined) reader.error(nameItem.at, nameItem.path, problem);
    });
    if (ip !== undefined && isIP(ip) !== 0) aliases.push({ ip, hostnames });
  }
  return aliases;
}

function readDnsConfig(reader: DocumentReader, value: Value): DnsConfig | undefined {
  const fields = reader.fields(value);
  if (fields === undefined) return undefined;
  const defined = new Set(["nameservers", "searches", "options"]);
  warnOtherFields(reader, fields, defined, defined);
  const config: DnsConfig = {};

  const serversValue = fieldValue(fields, "nameservers", value);
  const nameservers = reader.stringList(serversValue) ?? [];
  if (nameservers.length > MAX_NAMESERVERS) {
    reader.error(serversValue.at, serversValue.path, `${nameservers.length} nameservers; at most ${MAX_NAMESERVERS} are allowed`);
  }
  (reader.list(serversValue) ?? []).forEach((item, index) => {
    const server = nameservers[index] ?? "";
    if (isIP(server) === 0) reader.error(item.at, item.path, `${quote(server)} is not a valid IP address`);
  });
  if (nameservers.length > 0) config.nameservers = nameservers;

  const searchesValue = fieldValue(fields, "searches", value);
  const searches = reader.stringList(searchesValue) ?? [];
  if (searches.length > MAX_SEARCHES) {
    reader.error(searchesValue.at, searchesValue.path, `${searches.length} search domains; at most ${MAX_SEARCHES} are allowed`);
  }
  if (searches.join(" ").length > MAX_SEARCH_CHARACTERS) {
    reader.error(searchesValue.at, searchesValue.path, `the search list is longer than ${MAX_SEARCH_CHARACTERS} characters`);
  }
  (reader.list(searchesValue) ?? []).forEach((item, index) => {
    const problem = checkDns1123Subdomain((searches[index] ?? "").replace(/\.$/, ""));
    if (problem !== undefined) reader.error(item.at, item.path, problem);
  });
  if (searches.length > 0) config.searches = searches;

  const optionItems = reader.list(fieldValue(fields, "options", value)) ?? [];
  const options: DnsOption[] = [];
  for (const item of optionItems) {
    const optionFields = reader.fields(item);
    if (optionFields === undefined) continue;
    warnOtherFields(reader, optionFields, new Set(["name", "value"]), new Set(["name", "value"]));
    const nameValue = fieldValue(optionFields, "name", item);
    const name = requirePresent(reader, nameValue) ? reader.string(nameValue) : undefined;
    const optionValue = reader.string(fieldValue(optionFields, "value", item));
    if (!name) continue;
    options.push(optionValue === undefined ? { name } : { name, value: optionValue });
  }
  if (options.length > 0) config.options = options;
  return config;
}

function readPodSecurityContext(reader: DocumentReader, value: Value, hostNetwork: boolean, hostIPC: boolean): PodSecurityContext | undefined {
  const fields = reader.fields(value);
  if (fields === undefined) return undefined;
  const read = new Set(["runAsUser", "runAsGroup", "runAsNonRoot", "fsGroup", "supplementalGroups", "sysctls", "seccompProfile"]);
  const defined = new Set([
    ...read,
    "appArmorProfile",
    "fsGroupChangePolicy",
    "seLinuxChangePolicy",
    "seLinuxOptions",
    "supplementalGroupsPolicy",
    "windowsOptions",
  ]);
  warnOtherFields(reader, fields, defined, read);
  const context: PodSecurityContext = {};

  for (const name of ["runAsUser", "runAsGroup", "fsGroup"] as const) {
    const id = readId(reader, fieldValue(fields, name, value));
    if (id !== undefined) context[name] = id;
  }
  const runAsNonRoot = reader.boolean(fieldValue(fields, "runAsNonRoot", value));
  if (runAsNonRoot !== undefined) context.runAsNonRoot = runAsNonRoot;

  const groups = (reader.list(fieldValue(fields, "supplementalGroups", value)) ?? []).map((item) => readId(reader, item));
  const validGroups = groups.filter((group): group is number => group !== undefined);
  if (validGroups.length > 0) context.supplementalGroups = validGroups;

  const sysctls = readSysctls(reader, fieldValue(fields, "sysctls", value), hostNetwork, hostIPC);
  if (sysctls !== undefined && sysctls.length > 0) context.sysctls = sysctls;
  const seccomp = readSeccompProfile(reader, fieldValue(fields, "seccompProfile", value));
  if (seccomp !== undefined) context.seccompProfile = seccomp;
  return context;
}

function readSysctls(reader: DocumentReader, value: Value, hostNetwork: boolean, hostIPC: boolean): Sysctl[] | undefined {
  const items = reader.list(value);
  if (items === undefined) return undefined;
  const sysctls: Sysctl[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const fields = reader.fields(item);
    if (fields === undefined) continue;
    warnOtherFields(reader, fields, new Set(["name", "value"]), new Set(["name", "value"]));
    const nameValue = fieldValue(fields, "name", item);
    const valueValue = fieldValue(fields, "value", item);
    const name = requirePresent(reader, nameValue) ? reader.string(nameValue) : undefined;
    const sysctlValue = requirePresent(reader, valueValue) ? reader.string(valueValue) : undefined;
    if (name === undefined || sysctlValue === undefined) continue;

    const problem = checkSysctl(name, hostNetwork, hostIPC, seen);
    seen.add(normalizeSysctl(name));
    if (problem !== undefined) {
      reader.error(nameValue.at, nameValue.path, problem);
      continue;
    }
    sysctls.push({ name, value: sysctlValue });
  }
  return sysctls;
}

/** Returns a sysctl name with '/' separators written as '.', as the kernel reads both. */
function normalizeSysctl(name: string): string {
  return name.replaceAll("/", ".");
}

function checkSysctl(name: string, hostNetwork: boolean, hostIPC: boolean, seen: ReadonlySet<string>): string | undefined {
  const normalized = normalizeSysctl(name);
  if (name.length > 253 || !SYSCTL_NAME.test(name)) {
    return `${quote(name)} is not a valid sysctl name; use lowercase segments separated by '.' or '/'`;
  }
  if (seen.has(normalized)) return `duplicate sysctl ${quote(name)}`;
  if (hostNetwork && normalized.startsWith("net.")) return `sysctl ${quote(name)} cannot be set when hostNetwork is true, because it would change the host`;
  if (hostIPC && IPC_SYSCTL_PREFIXES.some((prefix) => normalized.startsWith(prefix))) {
    return `sysctl ${quote(name)} cannot be set when hostIPC is true, because it would change the host`;
  }
  if (!SAFE_SYSCTLS.has(normalized)) {
    return `sysctl ${quote(name)} is not in kubelet's safe set; kubelet rejects it unless --allowed-unsafe-sysctls names it, and tinylet has no such flag`;
  }
  return undefined;
}
