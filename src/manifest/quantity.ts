/**
 * Kubernetes resource quantities (`500m`, `1.5`, `128Mi`, `1e3`): a signed decimal number followed
 * by a binary suffix (Ki to Ei), a decimal suffix (n, u, m, k, M, G, T, P, E) or an exponent
 * (e3, E-2). Values are exact rationals, so rounding happens only where Kubernetes rounds: up, to
 * whole units or whole thousandths.
 */

/** An exact quantity: numerator / denominator, with a positive denominator. */
export interface Quantity {
  numerator: bigint;
  denominator: bigint;
}

const NUMBER = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(.*)$/;
const EXPONENT = /^[eE]([+-]?\d+)$/;
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** Largest decimal exponent accepted; Kubernetes' own quantities do not go beyond 10^18 either. */
const MAX_EXPONENT = 30;

/** Parses a quantity; returns the reason when the text is not one. */
export function parseQuantity(text: string): Quantity | string {
  const match = NUMBER.exec(text);
  if (match === null) return `${JSON.stringify(text)} is not a quantity; use a number with an optional suffix, such as 500m, 2 or 128Mi`;
  const [, sign = "", number = "", suffix = ""] = match;

  const [whole = "", fraction = ""] = number.split(".");
  let numerator = BigInt((whole || "0") + fraction);
  if (sign === "-") numerator = -numerator;
  let denominator = 10n ** BigInt(fraction.length);

  let exponent10 = 0;
  let exponent2 = 0;
  const exponent = EXPONENT.exec(suffix);
  if (suffix in BINARY_SUFFIXES) {
    exponent2 = BINARY_SUFFIXES[suffix] ?? 0;
  } else if (suffix in DECIMAL_SUFFIXES) {
    exponent10 = DECIMAL_SUFFIXES[suffix] ?? 0;
  } else if (exponent !== null) {
    exponent10 = Number(exponent[1]);
    if (Math.abs(exponent10) > MAX_EXPONENT) return `${JSON.stringify(text)} has an exponent beyond ±${MAX_EXPONENT}`;
  } else {
    return `${JSON.stringify(text)} has an unknown suffix ${JSON.stringify(suffix)}; use Ki, Mi, Gi, Ti, Pi, Ei, n, u, m, k, M, G, T, P, E or an exponent such as e3`;
  }

  if (exponent10 >= 0) numerator *= 10n ** BigInt(exponent10);
  else denominator *= 10n ** BigInt(-exponent10);
  numerator *= 2n ** BigInt(exponent2);
  return { numerator, denominator };
}

/** Returns the quantity in whole units, rounded up, as Kubernetes' Value() does. */
export function quantityValue(quantity: Quantity): bigint {
  return ceilDivide(quantity.numerator, quantity.denominator);
}

/** Returns the quantity in thousandths, rounded up, as Kubernetes' MilliValue() does. */
export function quantityMilliValue(quantity: Quantity): bigint {
  return ceilDivide(quantity.numerator * 1000n, quantity.denominator);
}

/** Reports whether a quantity is below zero. */
export function isNegative(quantity: Quantity): boolean {
  return quantity.numerator < 0n;
}

/** Formats millicores as Kubernetes prints them: `500m`, or `2` for whole cores. */
export function formatMillis(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

/** Formats bytes with the largest binary suffix that divides them exactly, such as `128Mi`. */
export function formatBytes(bytes: number): string {
  const suffixes: [string, number][] = [["Ei", 2 ** 60], ["Pi", 2 ** 50], ["Ti", 2 ** 40], ["Gi", 2 ** 30], ["Mi", 2 ** 20], ["Ki", 2 ** 10]];
  for (const [suffix, size] of suffixes) {
    if (bytes !== 0 && bytes % size === 0) return `${bytes / size}${suffix}`;
  }
  return String(bytes);
}

function ceilDivide(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  return numerator % denominator > 0n ? quotient + 1n : quotient;
}
