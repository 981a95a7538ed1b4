/** Strict UTF-8 decoding that locates the first invalid byte, so the error can point at it. */

/** Position of the first byte that is not part of a valid UTF-8 sequence. */
export interface InvalidUtf8 {
  /** Zero-based byte offset. */
  offset: number;
  byte: number;
  /** One-based line of the byte. */
  line: number;
  /** One-based column of the byte, counted in UTF-16 code units of the valid text before it. */
  column: number;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Decodes UTF-8 (a leading byte order mark is dropped), or returns where the bytes are invalid. */
export function decodeUtf8(bytes: Uint8Array): string | InvalidUtf8 {
  try {
    return decoder.decode(bytes);
  } catch {
    const offset = Math.max(findInvalidUtf8(bytes), 0);
    // lastIndexOf counts a negative start from the end, so offset 0 needs its own case.
    const lineStart = offset === 0 ? 0 : bytes.lastIndexOf(0x0a, offset - 1) + 1;
    let line = 1;
    for (let i = 0; i < lineStart; i++) if (bytes[i] === 0x0a) line++;
    const column = decoder.decode(bytes.subarray(lineStart, offset)).length + 1;
    return { offset, byte: bytes[offset] ?? 0, line, column };
  }
}

/**
 * Returns the offset of the first byte that starts an invalid sequence (a stray continuation byte,
 * a truncated, overlong or surrogate sequence, or a code point above U+10FFFF), or -1 if none does.
 */
export function findInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const first = bytes[i] ?? 0;
    if (first < 0x80) {
      i += 1;
      continue;
    }

    let length: number;
    let min: number;
    let codePoint: number;
    if (first >= 0xc2 && first <= 0xdf) {
      length = 2;
      min = 0x80;
      codePoint = first & 0x1f;
    } else if (first >= 0xe0 && first <= 0xef) {
      length = 3;
      min = 0x800;
      codePoint = first & 0x0f;
    } else if (first >= 0xf0 && first <= 0xf4) {
      length = 4;
      min = 0x10000;
      codePoint = first & 0x07;
    } else {
      return i;
    }

    if (i + length > bytes.length) return i;
    for (let k = 1; k < length; k++) {
      const next = bytes[i + k] ?? 0;
      if ((next & 0xc0) !== 0x80) return i;
      codePoint = (codePoint << 6) | (next & 0x3f);
    }
    if (codePoint < min || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return i;
    i += length;
  }
  return -1;
}
