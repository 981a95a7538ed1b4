/**
 * The CRI container log format: one entry per line, `TIMESTAMP STREAM TAG MESSAGE`, where TIMESTAMP
 * is RFC 3339 with nanoseconds, STREAM is `stdout` or `stderr`, and TAG is `F` for a full line or
 * `P` for a partial one that the next entry of the same stream continues.
 */

export type LogStream = "stdout" | "stderr";

/** One line of container output, partial entries already joined. */
export interface LogLine {
  /** The timestamp as written by the runtime (RFC 3339, nanoseconds). */
  timestamp: string;
  stream: LogStream;
  message: string;
}

const ENTRY = /^(\S+) (stdout|stderr) ([FP])(?:[^ ]*)? (.*)$/s;

/**
 * Turns log file text into lines, joining partial entries of the same stream. Text after the last
 * newline is left over and returned in `rest`, so a follower can prepend it to the next read.
 * Malformed lines are returned as they are on stdout, so nothing is lost.
 */
export class CriLogParser {
  private readonly pending = new Map<LogStream, { timestamp: string; parts: string[] }>();

  /** Parses `text`; returns complete lines and the unterminated remainder. */
  push(text: string): { lines: LogLine[]; rest: string } {
    const lines: LogLine[] = [];
    const end = text.lastIndexOf("\n");
    const complete = end < 0 ? "" : text.slice(0, end);
    const rest = end < 0 ? text : text.slice(end + 1);
    if (end < 0) {
      return { lines, rest };
    }

    for (const raw of complete.split("\n")) {
      const match = ENTRY.exec(raw);
      if (match === null) {
        if (raw !== "") {
          lines.push({ timestamp: "", stream: "stdout", message: raw });
        }
        continue;
      }
      const [, timestamp = "", stream, tag, message = ""] = match;
      const logStream = stream as LogStream;
      const open = this.pending.get(logStream);
      if (tag === "P") {
        if (open === undefined) {
          this.pending.set(logStream, { timestamp, parts: [message] });
        } else {
          open.parts.push(message);
        }
        continue;
      }
      if (open === undefined) {
        lines.push({ timestamp, stream: logStream, message });
      } else {
        this.pending.delete(logStream);
        lines.push({ timestamp: open.timestamp, stream: logStream, message: open.parts.join("") + message });
      }
    }
    return { lines, rest };
  }

  /** Returns partial entries still open, as lines; used when the log ends (the container exited). */
  flush(): LogLine[] {
    const lines = [...this.pending].map(([stream, open]) => ({ timestamp: open.timestamp, stream, message: open.parts.join("") }));
    this.pending.clear();
    return lines;
  }
}

/** Parses a whole log file's text into lines. */
export function parseCriLog(text: string): LogLine[] {
  const parser = new CriLogParser();
  const { lines, rest } = parser.push(text.endsWith("\n") ? text : text + "\n");
  return [...lines, ...parser.flush(), ...(rest === "" ? [] : [{ timestamp: "", stream: "stdout" as const, message: rest }])];
}
