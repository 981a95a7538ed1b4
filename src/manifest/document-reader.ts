/**
 * Typed, position-aware access to one parsed YAML document. Every read names the field path it
 * reads, so a wrong type becomes a ManifestError at the node's line and column instead of a crash.
 * Aliases are resolved and `<<` merge keys are applied, as Kubernetes' YAML decoder does.
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  visit,
  type Alias,
  type Document,
  type LineCounter,
  type Node,
  type ParsedNode,
  type YAMLMap,
} from "yaml";

import { ManifestError, ManifestWarning, type ManifestLocation } from "./errors.js";

/** A node reached by a field path. */
export interface Value {
  /** The node after alias resolution; null when the field is absent or has no node. */
  readonly node: ParsedNode | null;
  /** Node whose position is reported for problems with this value; null means the document. */
  readonly at: Node | null;
  /** Field path of the value, e.g. `spec.containers[0].image`; empty for the document root. */
  readonly path: string;
}

/** One entry of a map, keyed by its field name. */
export interface Field {
  readonly name: string;
  /** The key node, where problems about the field name itself are reported. */
  readonly key: Node | null;
  readonly value: Value;
}

/** Returns `parent.name`, or `name` at the root. */
export function childPath(parent: string, name: string): string {
  return parent === "" ? name : `${parent}.${name}`;
}

/** Problems of one document, collected in the order they are found. */
export class ProblemList {
  readonly errors: ManifestError[] = [];
  readonly warnings: ManifestWarning[] = [];

  constructor(readonly file: string) {}
}

/** Reader over one parsed document; see the file comment. */
export class DocumentReader {
  /** Target of each alias; undefined for an alias whose anchor is not defined before it. */
  private readonly aliasTargets = new Map<Alias, ParsedNode | undefined>();

  constructor(
    private readonly doc: Document.Parsed,
    private readonly lineCounter: LineCounter,
    readonly problems: ProblemList,
  ) {
    this.resolveAliases();
  }

  /** Returns the document's root value. */
  root(): Value {
    return this.valueOf(this.doc.contents, null, "");
  }

  /** Returns the aliases, in document order, whose anchor is missing or only defined later. */
  unresolvedAliases(): Alias[] {
    return [...this.aliasTargets].filter(([, target]) => target === undefined).map(([alias]) => alias);
  }

  /** Returns the first alias of the document, if any, where alias problems are reported. */
  firstAlias(): Alias | undefined {
    return this.aliasTargets.keys().next().value;
  }

  /**
   * Builds the value of a child node, following an alias to its anchored node. A node written
   * without a value, such as `image:`, is reported at `fallbackAt`, usually its key.
   */
  valueOf(node: ParsedNode | null, fallbackAt: Node | null, path: string): Value {
    const resolved = node !== null && isAlias(node) ? (this.aliasTargets.get(node) ?? null) : node;
    const blank = node === null || (isScalar(node) && node.value === null && node.source === "");
    return { node: resolved, at: blank ? (fallbackAt ?? node) : node, path };
  }

  /** Returns one-based line and column of a node, or of the document when `node` is null. */
  locate(node: Node | null, path: string): ManifestLocation {
    const offset = node?.range?.[0] ?? this.doc.contents?.range[0] ?? this.doc.range[0];
    const { line, col } = this.lineCounter.linePos(offset);
    return { file: this.problems.file, line, column: col, path };
  }

  /** Records an error at a node; a null node stands for the document. */
  error(at: Node | null, path: string, detail: string, cause?: unknown): void {
    this.problems.errors.push(new ManifestError(detail, this.locate(at, path), { cause }));
  }

  /** Records a warning at a node; a null node stands for the document. */
  warning(at: Node | null, path: string, detail: string): void {
    this.problems.warnings.push(new ManifestWarning(detail, this.locate(at, path)));
  }

  /** Reports a type mismatch at the value, naming what was expected and what was found. */
  typeError(value: Value, expected: string): void {
    let detail = `expected ${expected}, got ${describeNode(value.node)}`;
    const scalar = value.node;
    if (expected.includes("string") && isScalar(scalar) && typeof scalar.value !== "string" && scalar.value !== null) {
      detail += "; quote it to make it a string";
    }
    this.error(value.at, value.path, detail);
  }

  /**
   * Returns the fields of a map value: its own keys first, then keys brought in by `<<` merge keys
   * that the map does not set itself. A null or absent value is an empty map.
   * Returns undefined, with an error, when the value is not a map or a key is not a scalar.
   */
  fields(value: Value): Map<string, Field> | undefined {
    return this.fieldsOf(value, new Set());
  }

  /** Returns the items of a list value; a null or absent value is an empty list. */
  list(value: Value): Value[] | undefined {
    if (isNull(value)) return [];
    if (!isSeq(value.node)) {
      this.typeError(value, "a list");
      return undefined;
    }
    const seq = value.node;
    return seq.items.map((item, index) => this.valueOf(item, null, `${value.path}[${index}]`));
  }

  /** Reads the fields of a map. `seen` contains the maps already merged, to stop merge cycles. */
  private fieldsOf(value: Value, seen: Set<YAMLMap>): Map<string, Field> | undefined {
    if (isNull(value)) return new Map();
    if (!isMap(value.node)) {
      this.typeError(value, "a map");
      return undefined;
    }

    seen.add(value.node);
    const fields = new Map<string, Field>();
    const merges: Value[] = [];
    let ok = true;
    for (const pair of value.node.items) {
      const key = pair.key as ParsedNode | null;
      if (key !== null && isMergeKey(key)) {
        merges.push(this.valueOf(pair.value, key, childPath(value.path, "<<")));
        continue;
      }
      const name = this.fieldName(key, value);
      if (name === undefined) {
        ok = false;
        continue;
      }
      fields.set(name, { name, key, value: this.valueOf(pair.value, key, childPath(value.path, name)) });
    }

    for (const merge of merges) {
      if (!this.mergeFields(fields, merge, value.path, seen)) ok = false;
    }
    return ok ? fields : undefined;
  }

  /** Returns a string value; undefined when absent (no error) or of another type (error). */
  string(value: Value): string | undefined {
    if (isNull(value)) return undefined;
    if (!isScalar(value.node) || typeof value.node.value !== "string") {
      this.typeError(value, "a string");
      return undefined;
    }
    return value.node.value;
  }

  /** Returns a whole-number value; undefined when absent (no error) or of another type (error). */
  integer(value: Value): number | undefined {
    if (isNull(value)) return undefined;
    const node = value.node;
    if (!isScalar(node) || typeof node.value !== "number" || !Number.isSafeInteger(node.value)) {
      this.typeError(value, "an integer");
      return undefined;
    }
    return node.value;
  }

  /** Returns a boolean value; undefined when absent (no error) or of another type (error). */
  boolean(value: Value): boolean | undefined {
    if (isNull(value)) return undefined;
    if (!isScalar(value.node) || typeof value.node.value !== "boolean") {
      this.typeError(value, "a boolean (true or false)");
      return undefined;
    }
    return value.node.value;
  }

  /** Returns a list of strings; each item that is not a string is an error at that item. */
  stringList(value: Value): string[] | undefined {
    const items = this.list(value);
    if (items === undefined) return undefined;
    const strings: string[] = [];
    let ok = true;
    for (const item of items) {
      if (isNull(item)) {
        this.typeError(item, "a string");
        ok = false;
        continue;
      }
      const text = this.string(item);
      if (text === undefined) ok = false;
      else strings.push(text);
    }
    return ok ? strings : undefined;
  }

  /** Returns a map of string values, as used by labels and annotations. */
  stringMap(value: Value): Record<string, string> | undefined {
    const fields = this.fields(value);
    if (fields === undefined) return undefined;
    const result: Record<string, string> = {};
    let ok = true;
    for (const field of fields.values()) {
      const keyed: Value = { ...field.value, path: `${value.path}[${field.name}]` };
      if (isNull(keyed)) {
        this.typeError(keyed, "a string");
        ok = false;
        continue;
      }
      const text = this.string(keyed);
      if (text === undefined) ok = false;
      else result[field.name] = text;
    }
    return ok ? result : undefined;
  }

  private fieldName(key: ParsedNode | null, parent: Value): string | undefined {
    const resolved = key !== null && isAlias(key) ? this.aliasTargets.get(key) : key;
    if (isScalar(resolved) && resolved.value !== null && typeof resolved.value !== "object") {
      return String(resolved.value);
    }
    this.error(key ?? parent.at, parent.path, `field names must be strings, got ${describeNode(resolved ?? null)}`);
    return undefined;
  }

  /** Adds the fields of a `<<` merge source that `fields` does not set yet. */
  private mergeFields(fields: Map<string, Field>, merge: Value, parentPath: string, seen: Set<YAMLMap>): boolean {
    const sources = isSeq(merge.node)
      ? merge.node.items.map((item, index) => this.valueOf(item, null, `${merge.path}[${index}]`))
      : [merge];

    let ok = true;
    for (const source of sources) {
      if (!isMap(source.node)) {
        this.typeError(source, "a map to merge");
        ok = false;
        continue;
      }
      // A map that merges itself, directly or through others, would otherwise recurse forever.
      if (seen.has(source.node)) continue;

      const merged = this.fieldsOf({ node: source.node, at: source.at, path: parentPath }, seen);
      if (merged === undefined) {
        ok = false;
        continue;
      }
      for (const [name, field] of merged) {
        if (!fields.has(name)) fields.set(name, field);
      }
    }
    return ok;
  }

  /** Maps each alias to the last node anchored with its name before it, as YAML defines. */
  private resolveAliases(): void {
    const anchors = new Map<string, ParsedNode>();
    visit(this.doc, {
      Node: (_key, node) => {
        if (isAlias(node)) {
          this.aliasTargets.set(node, anchors.get(node.source));
        } else if (node.anchor) {
          anchors.set(node.anchor, node as ParsedNode);
        }
      },
    });
  }
}

/** Returns whether a value is absent, written without a value, or an explicit null. */
export function isNull(value: Value): boolean {
  return value.node === null || (isScalar(value.node) && value.node.value === null);
}

/** Describes a node for messages: `a map`, `a list`, `null`, `number 3`, `string "x"`. */
export function describeNode(node: ParsedNode | null): string {
  if (node === null) return "null";
  if (isMap(node)) return "a map";
  if (isSeq(node)) return "a list";
  if (isAlias(node)) return `alias *${node.source}`;
  const value: unknown = node.value;
  if (value === null) return "null";
  if (typeof value === "string") return `string ${quote(value)}`;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return `${typeof value} ${String(value)}`;
  }
  return `a ${typeof value} value`;
}

/** Quotes a value for a message, cutting it at 64 characters. */
export function quote(text: string): string {
  const shortened = text.length > 64 ? `${text.slice(0, 61)}...` : text;
  return JSON.stringify(shortened);
}

function isMergeKey(key: ParsedNode): boolean {
  return isScalar(key) && typeof key.value === "symbol" && key.value.description === "<<";
}
