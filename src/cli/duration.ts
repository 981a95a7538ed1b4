import { UsageError } from "./output.js";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration such as `2s`, `500ms`, `1m30s` or `1.5s` into milliseconds, the way Go's
 * time.ParseDuration reads the units ms, s, m and h. `flag` names the flag in the error.
 */
export function parseDuration(flag: string, text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  const consumed = parts.map((part) => part[0]).join("");
  if (parts.length === 0 || consumed !== text) {
    throw new UsageError(`invalid ${flag} "${text}": expected a duration such as 2s, 500ms or 1m30s`);
  }
  const total = parts.reduce((sum, part) => sum + Number(part[1]) * (UNIT_MS[part[2] ?? "s"] ?? 1_000), 0);
  if (total <= 0) {
    throw new UsageError(`invalid ${flag} "${text}": must be greater than zero`);
  }
  return total;
}
