/**
 * Decoded items of a list response, kept by their encoded bytes. A daemon lists the same sandboxes
 * and containers every few seconds, and an item whose bytes come back unchanged decodes to the same
 * value, so only new or changed items are decoded again. The order of the items does not matter,
 * which is what makes this work with a runtime that returns them in a different order each time.
 */

/** Tag of field 1 with wire type 2 (length-delimited): the repeated items of both list responses. */
const ITEMS_TAG = 0x0a;

/** Caches the items of one kind of list response. */
export class ListItemCache<T> {
  private items = new Map<string, T>();

  constructor(private readonly decodeItem: (bytes: Uint8Array) => T) {}

  /**
   * Returns the items of a response whose only field is field 1, a repeated message, reusing the
   * decoded items of the previous response with the same bytes. Returns undefined when the
   * response contains anything else, so the caller decodes it whole.
   */
  decode(message: Buffer): T[] | undefined {
    const next = new Map<string, T>();
    const result: T[] = [];
    let offset = 0;
    while (offset < message.length) {
      const tag = readVarint(message, offset);
      if (tag === undefined || tag.value !== ITEMS_TAG) return undefined;
      const length = readVarint(message, tag.next);
      if (length === undefined) return undefined;
      const end = length.next + length.value;
      if (end > message.length) return undefined;

      const key = message.toString("latin1", length.next, end);
      let item = next.get(key) ?? this.items.get(key);
      if (item === undefined) item = this.decodeItem(message.subarray(length.next, end));
      next.set(key, item);
      result.push(item);
      offset = end;
    }
    this.items = next;
    return result;
  }
}

/** Reads a varint of at most 32 bits at `offset`; undefined when it is longer or runs past the end. */
function readVarint(bytes: Uint8Array, offset: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    const byte = bytes[offset + i];
    if (byte === undefined) return undefined;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if (byte < 0x80) return { value, next: offset + i + 1 };
  }
  return undefined;
}
