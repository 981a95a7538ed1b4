/**
 * A full garbage collection when the daemon settles after work. Traced with --trace-gc on node
 * 20.20 (V8 11.3), a daemon that started 100 pods ran no full collection from before the start
 * until over a minute later, so the start's garbage stayed in the old generation. A collection at
 * the end of the start frees it, and V8's memory reducer, which may follow a full collection once
 * allocation is low, can then return the pages (docs/performance.md, finding 24).
 */

/** V8's collector, present when node runs with --expose-gc (as `bin/tinylet` does). */
type ExposedGc = (options: { type: "major"; execution: "async" }) => Promise<void>;

/**
 * Starts a full collection without blocking the event loop, when node exposes the collector.
 * Without --expose-gc it does nothing.
 */
export function collectAfterWork(): void {
  const gc = (globalThis as { gc?: ExposedGc }).gc;
  if (gc === undefined) return;
  void gc({ type: "major", execution: "async" }).catch(() => undefined);
}
