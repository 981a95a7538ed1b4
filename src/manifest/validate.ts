/**
 * Kubernetes' rules for names and values, as the API server applies them to a Pod. Each check
 * returns undefined when the value is valid, or the reason it is not, phrased for a message.
 */
import { isIP } from "node:net";

import { quote } from "./document-reader.js";

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const IANA_SERVICE_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** Maximum length of a DNS-1123 label (RFC 1123), used for namespaces and container names. */
export const DNS1123_LABEL_MAX_LENGTH = 63;

/** Maximum length of a DNS-1123 subdomain (RFC 1123), used for pod names. */
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;

/** Checks a DNS-1123 label: lowercase letters, digits and '-', at most 63 characters. */
export function checkDns1123Label(value: string): string | undefined {
  if (value.length > DNS1123_LABEL_MAX_LENGTH) {
    return `${quote(value)} is ${value.length} characters long; a DNS-1123 label has at most ${DNS1123_LABEL_MAX_LENGTH}`;
  }
  if (!DNS1123_LABEL.test(value)) {
    return `${quote(value)} is not a valid DNS-1123 label; use lowercase letters, digits and '-', starting and ending with a letter or digit`;
  }
  return undefined;
}

/** Checks a DNS-1123 subdomain: dot-separated labels, at most 253 characters in all. */
export function checkDns1123Subdomain(value: string): string | undefined {
  if (value.length > DNS1123_SUBDOMAIN_MAX_LENGTH) {
    return `${quote(value)} is ${value.length} characters long; a DNS-1123 subdomain has at most ${DNS1123_SUBDOMAIN_MAX_LENGTH}`;
  }
  if (!DNS1123_SUBDOMAIN.test(value)) {
    return `${quote(value)} is not a valid DNS-1123 subdomain; use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit`;
  }
  return undefined;
}

/**
 * Checks a label or annotation key: an optional DNS-1123 subdomain prefix and '/', then a name of
 * at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit.
 */
export function checkQualifiedName(key: string): string | undefined {
  const parts = key.split("/");
  if (parts.length > 2) return "it has more than one '/'";

  const name = parts.length === 2 ? (parts[1] ?? "") : key;
  if (parts.length === 2) {
    const prefix = parts[0] ?? "";
    if (prefix === "") return "the prefix before '/' is empty";
    const prefixProblem = checkDns1123Subdomain(prefix);
    if (prefixProblem !== undefined) return `the prefix ${prefixProblem}`;
  }

  if (name === "") return "the name is empty";
  if (name.length > 63) return `the name is ${name.length} characters long; at most 63 are allowed`;
  if (!QUALIFIED_NAME_PART.test(name)) {
    return "use letters, digits, '-', '_' and '.' in the name, starting and ending with a letter or digit";
  }
  return undefined;
}

/** Checks a label value: empty, or at most 63 letters, digits, '-', '_' and '.' with alphanumeric ends. */
export function checkLabelValue(value: string): string | undefined {
  if (value === "") return undefined;
  if (value.length > 63) return `label value ${quote(value)} is ${value.length} characters long; at most 63 are allowed`;
  if (!QUALIFIED_NAME_PART.test(value)) {
    return `label value ${quote(value)} is invalid; use letters, digits, '-', '_' and '.', starting and ending with a letter or digit`;
  }
  return undefined;
}

/**
 * Checks a port name as Kubernetes does (an IANA service name): at most 15 lowercase letters,
 * digits and '-', with at least one letter, no '--', and no '-' at either end.
 */
export function checkPortName(name: string): string | undefined {
  if (name.length > 15) return `${quote(name)} is ${name.length} characters long; a port name has at most 15`;
  if (!IANA_SERVICE_NAME.test(name) || name.includes("--") || !/[a-z]/.test(name)) {
    return `${quote(name)} is not a valid port name; use lowercase letters, digits and single '-' between them, with at least one letter`;
  }
  return undefined;
}

/** Checks an environment variable name: not empty, and without '=' or a NUL character. */
export function checkEnvName(name: string): string | undefined {
  if (name === "") return "must not be empty";
  if (name.includes("=")) return `${quote(name)} is not a valid variable name because it contains '='`;
  if (name.includes("\0")) return `${quote(name)} is not a valid variable name because it contains a NUL character`;
  return undefined;
}

/** Checks an image reference: not empty and without surrounding whitespace. */
export function checkImage(image: string): string | undefined {
  if (image === "") return "must not be empty";
  if (image.trim() !== image) return `${quote(image)} must not have leading or trailing whitespace`;
  return undefined;
}

/** Checks a host IP address for a port mapping: an IPv4 or IPv6 address literal. */
export function checkHostIP(address: string): string | undefined {
  return isIP(address) === 0 ? `${quote(address)} is not a valid IP address` : undefined;
}
