/**
 * A structured logger: a constant message plus key=value fields, written as one line per entry in
 * a human-readable text form (the default) or as JSON. Loggers are passed in, never global, and a
 * child logger carries bound fields such as `pod`.
 */

/** Severity of an entry, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Output encoding of log lines. */
export type LogFormat = "text" | "json";

/** Values a field may hold; errors are written as their message. */
export type LogValue = string | number | boolean | bigint | undefined | null | Error | unknown;

export type LogFields = Record<string, LogValue>;

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Options of a Logger. */
export interface LoggerOptions {
  /** Entries below this level are dropped. Default `info`. */
  level?: LogLevel;
  /** Default `text`. */
  format?: LogFormat;
  /** Receives each finished line without its newline. Default: standard error. */
  write?: (line: string) => void;
  /** Clock in milliseconds since the epoch, for tests. Default `Date.now`. */
  now?: () => number;
  /** Identical warn/error entries within this window are counted, not written. Default 60 000 ms. */
  repeatWindowMs?: number;
}

interface SharedState {
  level: number;
  format: LogFormat;
  write: (line: string) => void;
  now: () => number;
  repeatWindowMs: number;
  /** Last time and suppressed count of each recent warn/error entry, by its rendered text. */
  recent: Map<string, { at: number; suppressed: number }>;
}

/** Upper bound on remembered warn/error entries, so the repeat filter cannot grow without limit. */
const MAX_RECENT_ENTRIES = 1_000;

export class Logger {
  private readonly shared: SharedState;
  private readonly bound: LogFields;

  constructor(options: LoggerOptions = {}, bound: LogFields = {}, shared?: SharedState) {
    this.shared = shared ?? {
      level: LEVEL_ORDER[options.level ?? "info"],
      format: options.format ?? "text",
      write: options.write ?? ((line) => process.stderr.write(line + "\n")),
      now: options.now ?? Date.now,
      repeatWindowMs: options.repeatWindowMs ?? 60_000,
      recent: new Map(),
    };
    this.bound = bound;
  }

  /** Returns a logger that adds `fields` to every entry. */
  with(fields: LogFields): Logger {
    return new Logger({}, { ...this.bound, ...fields }, this.shared);
  }

  /** Reports whether entries of `level` are written; lets callers skip building costly fields. */
  enabled(level: LogLevel): boolean {
    return LEVEL_ORDER[level] >= this.shared.level;
  }

  debug(message: string, fields?: LogFields): void {
    this.log("debug", message, fields);
  }

  info(message: string, fields?: LogFields): void {
    this.log("info", message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.log("warn", message, fields);
  }

  error(message: string, fields?: LogFields): void {
    this.log("error", message, fields);
  }

  private log(level: LogLevel, message: string, fields: LogFields = {}): void {
    if (!this.enabled(level)) {
      return;
    }

    const all = { ...this.bound, ...fields };

    let suppressed = 0;
    if (level === "warn" || level === "error") {
      const key = level + " " + renderText(message, all);
      const now = this.shared.now();
      const previous = this.shared.recent.get(key);
      if (previous !== undefined && now - previous.at < this.shared.repeatWindowMs) {
        previous.suppressed++;
        return;
      }
      suppressed = previous?.suppressed ?? 0;
      this.remember(key, now);
    }

    if (suppressed > 0) {
      all["repeated"] = suppressed;
    }
    const time = new Date(this.shared.now()).toISOString();
    if (this.shared.format === "json") {
      this.shared.write(JSON.stringify({ time, level, msg: message, ...jsonFields(all) }));
    } else {
      this.shared.write(`${time} ${level.toUpperCase().padEnd(5)} ${renderText(message, all)}`);
    }
  }

  private remember(key: string, now: number): void {
    const recent = this.shared.recent;
    recent.delete(key);
    recent.set(key, { at: now, suppressed: 0 });
    if (recent.size > MAX_RECENT_ENTRIES) {
      const oldest = recent.keys().next().value;
      if (oldest !== undefined) {
        recent.delete(oldest);
      }
    }
  }
}

/** Returns a logger that writes nothing, for tests and library callers. */
export function discardLogger(): Logger {
  return new Logger({ level: "error", write: () => {} });
}

function renderText(message: string, fields: LogFields): string {
  let line = message;
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) {
      continue;
    }
    line += ` ${key}=${quote(formatValue(value))}`;
  }
  return line;
}

function formatValue(value: LogValue): string {
  if (value instanceof Error) {
    return value.message;
  }
  if (typeof value === "number") {
    return Number.isInteger(value) ? String(value) : value.toFixed(1);
  }
  return String(value);
}

/** Characters a bare value may not hold: whitespace, quotes, `=` and the C0, DEL and C1 controls. */
const NEEDS_QUOTES = /[\s"=\u0000-\u001f\u007f-\u009f]/;

/** Returns the value as it is, or quoted with every control character escaped, so a line stays one line of text. */
function quote(text: string): string {
  if (text !== "" && !NEEDS_QUOTES.test(text)) return text;
  // JSON escapes the C0 controls but leaves DEL and the C1 controls as they are.
  return JSON.stringify(text).replace(/[\u007f-\u009f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function jsonFields(fields: LogFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) {
      continue;
    }
    if (value instanceof Error) {
      out[key] = value.message;
    } else if (typeof value === "bigint") {
      out[key] = value.toString();
    } else {
      out[key] = value;
    }
  }
  return out;
}
