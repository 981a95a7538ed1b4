/** The `--status-addr` value: HOST:PORT, [IPv6]:PORT, or empty to turn the API off. */
import { isIP } from "node:net";

/** Default address of the read-only API; loopback, so nothing outside the host reaches it. */
export const DEFAULT_STATUS_ADDR = "127.0.0.1:10255";

/** An address to listen on or connect to. */
export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * Parses `--status-addr`; returns undefined for an empty value (API off) and throws a plain Error
 * naming the value for a malformed one. The host must be an IP address, so that which interfaces
 * the API listens on is never a DNS answer.
 */
export function parseStatusAddress(text: string): ListenAddress | undefined {
  if (text === "") return undefined;
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (match === null || host === undefined || host === "" || isIP(host) === 0) {
    throw new Error(`invalid status address "${text}": expected IP:PORT such as ${DEFAULT_STATUS_ADDR} or [::1]:10255, or "" to turn the API off`);
  }
  if (!Number.isInteger(port) || port > 65535) {
    throw new Error(`invalid status address "${text}": port ${match[3]} is out of range; expected 0-65535`);
  }
  return { host, port };
}

/** Returns the address a client on this host connects to for a listen address (a wildcard host means loopback). */
export function clientAddress(address: ListenAddress): ListenAddress {
  if (address.host === "0.0.0.0") return { host: "127.0.0.1", port: address.port };
  if (address.host === "::") return { host: "::1", port: address.port };
  return address;
}
