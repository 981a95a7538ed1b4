/**
 * Manifest text to pods. Every YAML document of a file is read: each Pod document becomes a pod, an
 * empty document is skipped, and a document with an error yields no pod while the others still do.
 * JSON is read by the same parser, since YAML 1.2 is a superset of JSON.
 */
import { isMap, isScalar, LineCounter, parseAllDocuments, type Document } from "yaml";

import { DocumentReader, describeNode, ProblemList, type Value } from "./document-reader.js";
import { compareProblems, ManifestError, ManifestWarning } from "./errors.js";
import { podUID } from "./identity.js";
import { readKubernetesPod } from "./kube-format.js";
import { checkPodSchema } from "./pod-schema.js";
import { fileTooLarge, MAX_ALIAS_COUNT, MAX_DOCUMENTS, MAX_FILE_BYTES, MAX_NESTING_DEPTH, MAX_PROBLEMS_PER_FILE } from "./limits.js";
import type { Pod, PodContent } from "./pod.js";
import { readSmallPod } from "./small-format.js";
import { findControlCharacter, formatCodePoint } from "./printable.js";
import { checkStructure } from "./structure.js";
import { decodeUtf8 } from "./utf8.js";

/** Pods and problems read from one manifest file. */
export interface ParseResult {
  /** Pods of the documents without errors, in document order. */
  pods: Pod[];
  errors: ManifestError[];
  warnings: ManifestWarning[];
  /** Number of documents that are not empty, whether or not they are valid. */
  documents: number;
}

/** Options of parseManifest. */
export interface ParseOptions {
  /** Maximum size of the text in UTF-8 bytes; default MAX_FILE_BYTES (1 MiB). */
  maxFileBytes?: number;
}

/**
 * Parses manifest text, in YAML or JSON, into pods. `file` is used as given in messages and as
 * `pod.source.file`. Never throws for bad input: every problem is returned with its position.
 */
export function parseManifest(file: string, text: string, options: ParseOptions = {}): ParseResult {
  const result: ParseResult = { pods: [], errors: [], warnings: [], documents: 0 };
  const maxFileBytes = options.maxFileBytes ?? MAX_FILE_BYTES;
  const size = Buffer.byteLength(text, "utf8");
  if (size > maxFileBytes) {
    result.errors.push(fileTooLarge(file, size, maxFileBytes));
    return result;
  }
  const control = findControlCharacter(text);
  if (control !== undefined) {
    const detail = `character ${formatCodePoint(control.codePoint)} is not allowed in YAML, which permits no control characters other than tab, line feed and carriage return`;
    result.errors.push(new ManifestError(detail, { file, line: control.line, column: control.column }));
    return result;
  }

  const lineCounter = new LineCounter();
  // NOTE: this is the YAML 1.2 core schema, where `yes`, `no`, `on` and `off` are strings. go-yaml
  // reads them as booleans, so `hostNetwork: yes` passes kubelet but fails here.
  const documents = parseAllDocuments(text, {
    lineCounter,
    prettyErrors: false,
    // Kubernetes decodes manifests with sigs.k8s.io/yaml, whose go-yaml parser applies `<<` merge
    // keys, so manifests may use them.
    merge: true,
    // checkStructure finds duplicate keys in linear time; the package's own check is quadratic.
    uniqueKeys: false,
  });

  documents.forEach((doc, index) => {
    if (index >= MAX_DOCUMENTS) {
      if (index === MAX_DOCUMENTS) result.errors.push(tooManyDocuments(file, lineCounter, doc, documents.length));
      return;
    }
    const problems = new ProblemList(file);
    const outcome = readDocument(doc, lineCounter, problems);
    result.errors.push(...problems.errors.sort(compareProblems));
    result.warnings.push(...problems.warnings.sort(compareProblems));
    if (outcome === "empty") return;

    result.documents += 1;
    if (outcome === "invalid") return;
    result.pods.push({
      uid: podUID(outcome.content),
      ...outcome.content,
      source: { file, document: index, line: outcome.line },
    });
  });
  result.errors = capProblems(result.errors, (count) => new ManifestError(`${count} more errors are not shown`, { file }));
  result.warnings = capProblems(result.warnings, (count) => new ManifestWarning(`${count} more warnings are not shown`, { file }));
  return result;
}

/** Keeps the first MAX_PROBLEMS_PER_FILE problems and replaces the rest by one that counts them. */
function capProblems<T>(problems: T[], more: (count: number) => T): T[] {
  if (problems.length <= MAX_PROBLEMS_PER_FILE) return problems;
  return [...problems.slice(0, MAX_PROBLEMS_PER_FILE), more(problems.length - MAX_PROBLEMS_PER_FILE)];
}

/**
 * Parses the bytes of a manifest file: rejects a file over the size limit without parsing it, and
 * text that is not valid UTF-8 with the position of the first invalid byte.
 */
export function parseManifestBytes(file: string, bytes: Uint8Array, options: ParseOptions = {}): ParseResult {
  const maxFileBytes = options.maxFileBytes ?? MAX_FILE_BYTES;
  if (bytes.length > maxFileBytes) {
    return { pods: [], errors: [fileTooLarge(file, bytes.length, maxFileBytes)], warnings: [], documents: 0 };
  }
  const decoded = decodeUtf8(bytes);
  if (typeof decoded !== "string") {
    const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
    const hint = utf16 ? "; the file starts with a UTF-16 byte order mark, so save it as UTF-8" : "; manifests must be UTF-8 text";
    const detail = `invalid UTF-8 byte 0x${decoded.byte.toString(16).padStart(2, "0")} at byte offset ${decoded.offset}${hint}`;
    const error = new ManifestError(detail, { file, line: decoded.line, column: decoded.column });
    return { pods: [], errors: [error], warnings: [], documents: 0 };
  }
  return parseManifest(file, decoded, options);
}

type DocumentOutcome = "empty" | "invalid" | { content: PodContent; line: number };

function readDocument(doc: Document.Parsed, lineCounter: LineCounter, problems: ProblemList): DocumentOutcome {
  const reader = new DocumentReader(doc, lineCounter, problems);

  const syntaxError = doc.errors[0];
  if (syntaxError !== undefined) {
    const more = doc.errors.length - 1;
    const suffix = more > 0 ? ` (and ${more} more syntax ${more === 1 ? "error" : "errors"} in this document)` : "";
    const { line, col } = lineCounter.linePos(syntaxError.pos[0]);
    // The parser recurses once per level, so very deep nesting ends in a stack overflow it reports.
    const message = /call stack/i.test(syntaxError.message) ? TOO_DEEP : lowerFirst(syntaxError.message);
    const detail = `invalid YAML: ${message}${suffix}`;
    problems.errors.push(new ManifestError(detail, { file: problems.file, line, column: col }, { cause: syntaxError }));
    return "invalid";
  }
  if (!checkShape(doc, lineCounter, problems)) return "invalid";
  for (const warning of doc.warnings) {
    const { line, col } = lineCounter.linePos(warning.pos[0]);
    problems.warnings.push(new ManifestWarning(`YAML: ${lowerFirst(warning.message)}`, { file: problems.file, line, column: col }));
  }

  // A document of `---` alone or of comments only is empty. An explicit `null` is not, and is reported.
  const contents = doc.contents;
  if (contents === null || (isScalar(contents) && contents.value === null && contents.source === "")) return "empty";
  if (!checkAliases(reader, doc)) return "invalid";

  const content = readPod(reader, reader.root());
  // The schema covers the fields the readers accept without running; it runs last, so a field is not reported twice.
  if (content !== undefined && problems.errors.length === 0) checkPodSchema(reader, doc);
  const line = lineCounter.linePos(contents.range[0]).line;
  if (content === undefined || problems.errors.length > 0) return "invalid";
  return { content, line };
}

/** Decides the format of the document and reads it. */
function readPod(reader: DocumentReader, root: Value): PodContent | undefined {
  if (!isMap(root.node)) {
    reader.error(root.at, "", `${NOT_A_MANIFEST}; got ${describeNode(root.node)}`);
    return undefined;
  }
  const fields = reader.fields(root);
  if (fields === undefined) return undefined;
  if (fields.has("kind") || fields.has("apiVersion")) return readKubernetesPod(reader, root, fields);
  if (fields.has("containers")) return readSmallPod(reader, root, fields);
  reader.error(root.at, "", NOT_A_MANIFEST);
  return undefined;
}

const NOT_A_MANIFEST =
  "not a pod manifest; expected a map with apiVersion v1 and kind Pod, or a small-format pod with name and containers";

const TOO_DEEP = `maps and sequences are nested too deeply; at most ${MAX_NESTING_DEPTH} levels are allowed`;

/** Reports duplicate keys and nesting beyond MAX_NESTING_DEPTH; returns whether there were none. */
function checkShape(doc: Document.Parsed, lineCounter: LineCounter, problems: ProblemList): boolean {
  const { duplicateKeys, tooDeep } = checkStructure(doc);
  const duplicate = duplicateKeys[0];
  if (duplicate !== undefined) {
    const more = duplicateKeys.length - 1;
    const suffix = more > 0 ? ` (and ${more} more duplicate ${more === 1 ? "key" : "keys"} in this document)` : "";
    const { line, col } = lineCounter.linePos(duplicate.range?.[0] ?? 0);
    problems.errors.push(new ManifestError(`invalid YAML: map keys must be unique${suffix}`, { file: problems.file, line, column: col }));
  }
  if (tooDeep !== undefined) {
    const { line, col } = lineCounter.linePos(tooDeep.range?.[0] ?? 0);
    problems.errors.push(new ManifestError(`invalid YAML: ${TOO_DEEP}`, { file: problems.file, line, column: col }));
  }
  return duplicate === undefined && tooDeep === undefined;
}

/**
 * Rejects aliases without an anchor, and documents whose aliases expand beyond MAX_ALIAS_COUNT.
 * The count is the yaml package's own (`toJS` with `maxAliasCount`), run before any field is read.
 */
function checkAliases(reader: DocumentReader, doc: Document.Parsed): boolean {
  const unresolved = reader.unresolvedAliases();
  for (const alias of unresolved) {
    reader.error(alias, "", `alias *${alias.source} has no anchor &${alias.source} defined before it`);
  }
  if (unresolved.length > 0) return false;

  const firstAlias = reader.firstAlias();
  if (firstAlias === undefined) return true;
  try {
    doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    return true;
  } catch (err) {
    const detail =
      err instanceof ReferenceError && err.message.startsWith("Excessive alias count")
        ? `aliases expand to too many nodes; at most ${MAX_ALIAS_COUNT} alias expansions are allowed per document`
        : `invalid YAML: ${lowerFirst(err instanceof Error ? err.message : String(err))}`;
    reader.error(firstAlias, "", detail, err);
    return false;
  }
}

function tooManyDocuments(file: string, lineCounter: LineCounter, doc: Document.Parsed, count: number): ManifestError {
  const { line, col } = lineCounter.linePos(doc.range[0]);
  return new ManifestError(
    `too many documents: the file has ${count}, and only the first ${MAX_DOCUMENTS} are read`,
    { file, line, column: col },
  );
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
