/**
 * Decoded items of a list response, kept by their encoded bytes. A daemon lists the same sandboxes
 * and containers every few seconds, and an item whose bytes come back unchanged decodes to the same
 * value, so only new or changed items are decoded again. The order of the items does not matter,
 * which is what makes this work with a runtime that returns them in a different order each time.
 *
 * A runtime written in Go also writes the entries of a map field (labels, annotations) in a
 * different order each time, since Go maps have none. So an item is looked up by a key in which
 * the entries of its map fields are sorted, and its other fields keep their place.
 */

/** Tag of field 1 with wire type 2 (length-delimited): the repeated items of both list responses. */
const ITEMS_TAG = 0x0a;

/** A decoded item and the key string it was first stored under. */
interface Entry<T> {
  key: string;
  item: T;
}

/** Caches the items of one kind of list response. */
export class ListItemCache<T> {
  private items = new Map<string, Entry<T>>();
  private readonly mapFields: ReadonlySet<number>;

  /** `mapFields` are the numbers of the item's map fields, whose entries may come in any order. */
  constructor(
    private readonly decodeItem: (bytes: Uint8Array) => T,
    mapFields: Iterable<number> = [],
  ) {
    this.mapFields = new Set(mapFields);
  }

  /**
   * Returns the items of a response whose only field is field 1, a repeated message, reusing the
   * decoded items of the previous response with the same content. Returns undefined when the
   * response contains anything else, so the caller decodes it whole.
   */
  decode(message: Buffer): T[] | undefined {
    const next = new Map<string, Entry<T>>();
    const result: T[] = [];
    let offset = 0;
    while (offset < message.length) {
      const tag = readVarint(message, offset);
      if (tag === undefined || tag.value !== ITEMS_TAG) return undefined;
      const length = readVarint(message, tag.next);
      if (length === undefined) return undefined;
      const end = length.next + length.value;
      if (end > message.length) return undefined;

      const key = itemKey(message, length.next, end, this.mapFields);
      // An unchanged item keeps the key string of the response that first had it, so the new string
      // dies young. Kept instead, a copy of every item would reach the old generation each pass.
      const entry = next.get(key) ?? this.items.get(key) ?? { key, item: this.decodeItem(message.subarray(length.next, end)) };
      next.set(entry.key, entry);
      result.push(entry.item);
      offset = end;
    }
    this.items = next;
    return result;
  }
}

/**
 * Returns the key of the item in `bytes[start, end)`: its fields in their order, followed by the
 * entries of its map fields, sorted. Each field carries its tag and length, so two items have the
 * same key only when they have the same fields with the same map entries. An item whose fields
 * cannot be taken apart is keyed by its bytes as they are.
 * NOTE: a map with one key written twice is keyed as if its order did not matter, although protobuf
 * keeps the last entry. A Go runtime cannot send such a map.
 */
function itemKey(bytes: Buffer, start: number, end: number, mapFields: ReadonlySet<number>): string {
  const whole = (): string => bytes.toString("latin1", start, end);
  if (mapFields.size === 0) return whole();

  let ordered = "";
  let run = start;
  const entries: string[] = [];
  let offset = start;
  while (offset < end) {
    const fieldStart = offset;
    const tag = readVarint(bytes, offset);
    if (tag === undefined) return whole();
    const fieldEnd = skipValue(bytes, tag.next, tag.value & 7);
    if (fieldEnd === undefined || fieldEnd > end) return whole();
    if (mapFields.has(Math.floor(tag.value / 8))) {
      if (run < fieldStart) ordered += bytes.toString("latin1", run, fieldStart);
      entries.push(bytes.toString("latin1", fieldStart, fieldEnd));
      run = fieldEnd;
    }
    offset = fieldEnd;
  }
  if (entries.length === 0) return whole();
  if (run < end) ordered += bytes.toString("latin1", run, end);
  return ordered + entries.sort().join("");
}

/** Returns the offset after a field value of `wireType` at `offset`; undefined for groups or a value past the end. */
function skipValue(bytes: Uint8Array, offset: number, wireType: number): number | undefined {
  switch (wireType) {
    case 0: {
      // A varint of up to 10 bytes, such as an int64 timestamp.
      for (let i = offset; i < offset + 10; i++) {
        const byte = bytes[i];
        if (byte === undefined) return undefined;
        if (byte < 0x80) return i + 1;
      }
      return undefined;
    }
    case 1:
      return offset + 8;
    case 2: {
      const length = readVarint(bytes, offset);
      return length === undefined ? undefined : length.next + length.value;
    }
    case 5:
      return offset + 4;
    default:
      return undefined;
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
