/**
 * YAML allows only printable characters in a stream: tab, line feed, carriage return, and every
 * code point from U+0020 on except DEL, the C1 controls other than U+0085, surrogates, U+FFFE and
 * U+FFFF (YAML 1.2, production c-printable). The yaml package does not check this. go-yaml, which
 * Kubernetes vendors as sigs.k8s.io/yaml/goyaml.v3, rejects such a file in its reader (readerc.go,
 * "control characters are not allowed"), and a NUL or a bell in an image name would only fail later.
 */

/** A character YAML does not allow, and where it is. */
export interface ControlCharacter {
  codePoint: number;
  /** One-based line of the character. */
  line: number;
  /** One-based column, counted in UTF-16 code units. */
  column: number;
}

// A lone surrogate can only come from a string built in memory; decoded UTF-8 never contains one.
const NOT_PRINTABLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u0084\u0086-\u009F\uFFFE\uFFFF]|\p{Cs}/u;

/** Returns the first character of `text` that YAML does not allow, or undefined when there is none. */
export function findControlCharacter(text: string): ControlCharacter | undefined {
  const match = NOT_PRINTABLE.exec(text);
  if (match === null) return undefined;

  const index = match.index;
  const lineStart = text.lastIndexOf("\n", index - 1) + 1;
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < lineStart; i = text.indexOf("\n", i + 1)) line++;
  return { codePoint: match[0].codePointAt(0) ?? 0, line, column: index - lineStart + 1 };
}

/** Formats a code point as `U+0007`. */
export function formatCodePoint(codePoint: number): string {
  return `U+${codePoint.toString(16).toUpperCase().padStart(4, "0")}`;
}
