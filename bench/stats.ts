/** Small statistics and formatting helpers for the benchmark's tables. */

/** Returns the median of `values`, or NaN when there are none. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/**
 * Returns the `p`th percentile by the nearest-rank method: the smallest value with at least p% of
 * the values at or below it. With fewer than 100 values, p99 is therefore the maximum.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) {
    return Number.NaN;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** Formats milliseconds with a unit: `183 ms`, `2.41 s`, `4.2 ms` below 10 ms. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) {
    return "-";
  }
  if (ms >= 1000) {
    return `${(ms / 1000).toFixed(2)} s`;
  }
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

/** Formats a list of sample values in milliseconds, for the detail lines under a table. */
export function formatSamples(values: readonly number[]): string {
  return values.map((value) => (value < 10 ? value.toFixed(1) : Math.round(value).toString())).join(" ");
}

/** Renders rows as a table with upper-case headers and columns padded to their widest cell. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)));
  const render = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join("   ")
      .trimEnd();
  return [render(headers.map((header) => header.toUpperCase())), ...rows.map(render)].join("\n");
}
