import { stringify } from "yaml";

/** Output formats every listing command accepts. */
export const OUTPUT_FORMATS = ["table", "json", "yaml"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Length IDs are cut to in tables unless `--no-trunc` is given, as crictl does. */
export const TRUNCATED_ID_LENGTH = 13;

/**
 * Checks an `-o` value, naming the allowed values when it is wrong. `accepted` lists every value the
 * command takes, including those it handles before this check, such as `wide` of `tinylet pods`.
 */
export function parseOutputFormat(value: string | undefined, accepted: readonly string[] = OUTPUT_FORMATS): OutputFormat {
  const format = value ?? "table";
  if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`invalid --output "${format}": expected one of ${accepted.join(", ")}`);
  }
  return format as OutputFormat;
}

/** A mistake in how a command was called; main prints it with a pointer to --help and exits 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** A command that was called correctly but could not do its work, such as a pod not found; main exits 1. */
export class CommandError extends Error {
  override readonly name = "CommandError";
}

/** Renders rows under upper-case headers, columns padded to their widest cell and three spaces apart. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)));
  const render = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join("   ")
      .trimEnd();
  return [render(headers), ...rows.map(render)].join("\n") + "\n";
}

/** Renders items as JSON (`{"items": [...]}`, as crictl does) or YAML. */
export function renderItems(format: "json" | "yaml", items: readonly unknown[]): string {
  const document = { items };
  return format === "json" ? JSON.stringify(document, null, 2) + "\n" : stringify(document);
}

/** Returns "5s ago", "3m ago", "2h ago" or "4d ago" for a time in the past, as crictl shows ages. */
export function formatAge(thenMs: number, nowMs: number): string {
  return `${formatDuration(thenMs, nowMs)} ago`;
}

/** Returns the time from `thenMs` to `nowMs` in its largest whole unit, as kubectl's AGE column prints it: "5s", "3m", "5h", "3d". */
export function formatDuration(thenMs: number, nowMs: number): string {
  const seconds = Math.max(0, Math.floor((nowMs - thenMs) / 1000));
  if (seconds < 60) {
    return `${seconds}s`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes}m`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 48) {
    return `${hours}h`;
  }
  return `${Math.floor(hours / 24)}d`;
}

/** Cuts an ID to TRUNCATED_ID_LENGTH characters unless `noTrunc`. */
export function formatId(id: string, noTrunc: boolean): string {
  return noTrunc ? id : id.slice(0, TRUNCATED_ID_LENGTH);
}
