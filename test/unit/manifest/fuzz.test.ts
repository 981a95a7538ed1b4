/**
 * Property tests of the manifest loader with fast-check: whatever the bytes of a file, parsing
 * returns (never throws), stays within time and memory bounds, and every problem names the file.
 * Set FAST_CHECK_RUNS to run more cases and FAST_CHECK_SEED to replay a failure.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import fc from "fast-check";
import { stringify } from "yaml";

import {
  ManifestDirectory,
  MAX_ALIAS_COUNT,
  MAX_FILE_BYTES,
  parseManifest,
  parseManifestBytes,
  validateFiles,
  type ParseResult,
} from "../../../src/manifest/index.js";
import { MAX_NESTING_DEPTH, MAX_PROBLEMS_PER_FILE } from "../../../src/manifest/limits.js";

const FILE = "fuzz.yaml";

/** Maximum time one parse of at most 1 MiB may take, in milliseconds; measured cases take under 2 s. */
const PARSE_BUDGET_MS = 10_000;

const runs = Number(process.env["FAST_CHECK_RUNS"] ?? "300");
const seed = process.env["FAST_CHECK_SEED"] === undefined ? undefined : Number(process.env["FAST_CHECK_SEED"]);
const parameters = { numRuns: runs, ...(seed === undefined ? {} : { seed }) };

/** Checks the promises every parse keeps, whatever its input. */
function assertWellFormed(result: ParseResult, file = FILE): void {
  for (const problem of [...result.errors, ...result.warnings]) {
    assert.ok(problem.message.startsWith(`${file}:`), `problem does not name the file: ${problem.message}`);
    assert.doesNotMatch(problem.message, /\n\s+at /, "no stack trace in a message");
  }
  assert.ok(result.errors.length <= MAX_PROBLEMS_PER_FILE + 1, `${result.errors.length} errors`);
  assert.ok(result.warnings.length <= MAX_PROBLEMS_PER_FILE + 1, `${result.warnings.length} warnings`);
  if (result.errors.length > 0) {
    assert.equal(result.pods.length < result.documents || result.documents === 0, true, "an invalid document yields no pod");
  }
}

/** Parses and checks the time taken. */
function timedParse(bytes: Uint8Array | string): ParseResult {
  const started = performance.now();
  const result = typeof bytes === "string" ? parseManifest(FILE, bytes) : parseManifestBytes(FILE, bytes);
  const elapsed = performance.now() - started;
  assert.ok(elapsed < PARSE_BUDGET_MS, `parse took ${Math.round(elapsed)} ms`);
  return result;
}

/** Fragments of YAML syntax and Pod vocabulary, so random text reaches deep into the parser. */
const TOKENS = [
  "apiVersion: v1\n", "kind: Pod\n", "metadata:\n", "  name: web\n", "spec:\n", "  containers:\n",
  "  - name: main\n", "    image: busybox\n", "    command: [sh, -c, 'sleep 1']\n", "name: x\n", "containers:\n",
  "- ", ": ", "? ", "[", "]", "{", "}", ",", "&a ", "*a", "&b ", "*b", "<<: ", "!!str ", "!!int ", "!!map ", "!custom ",
  "|\n", ">-\n", "'", '"', "# comment\n", "---\n", "...\n", "%YAML 1.2\n", "\n", "  ", "    ", "\t", "null", "~", "true",
  "0x1F", "1e9", "-.inf", ".nan", "9999999999999999999999", "é", "😀", "\\u0000", "\r\n", "\uFEFF",
];

const yamlish = fc.array(fc.constantFrom(...TOKENS), { maxLength: 80 }).map((parts) => parts.join(""));

/** Returns a valid Kubernetes Pod as a plain object, the base that mutations start from. */
function basePod(): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "default", labels: { app: "web" }, annotations: { note: "base" } },
    spec: {
      restartPolicy: "Always",
      hostNetwork: false,
      terminationGracePeriodSeconds: 5,
      containers: [
        {
          name: "main",
          image: "busybox:1.36",
          command: ["sh", "-c"],
          args: ["sleep 3600"],
          workingDir: "/",
          env: [{ name: "MODE", value: "production" }],
          ports: [{ containerPort: 8080 }],
        },
      ],
    },
  };
}

type Kind = "string" | "list" | "map" | "integer" | "boolean";

/** Field paths of basePod and the kind of value each must hold. */
const TYPED_FIELDS: ReadonlyArray<[string, Kind]> = [
  ["apiVersion", "string"],
  ["kind", "string"],
  ["metadata", "map"],
  ["metadata.name", "string"],
  ["metadata.namespace", "string"],
  ["metadata.labels", "map"],
  ["metadata.annotations", "map"],
  ["spec", "map"],
  ["spec.restartPolicy", "string"],
  ["spec.hostNetwork", "boolean"],
  ["spec.terminationGracePeriodSeconds", "integer"],
  ["spec.containers", "list"],
  ["spec.containers[0]", "map"],
  ["spec.containers[0].name", "string"],
  ["spec.containers[0].image", "string"],
  ["spec.containers[0].command", "list"],
  ["spec.containers[0].args", "list"],
  ["spec.containers[0].workingDir", "string"],
  ["spec.containers[0].env", "list"],
  ["spec.containers[0].env[0]", "map"],
  ["spec.containers[0].env[0].name", "string"],
  ["spec.containers[0].env[0].value", "string"],
  ["spec.containers[0].ports", "list"],
  ["spec.containers[0].ports[0].containerPort", "integer"],
];

/** Values of every kind but `kind`; numbers and booleans count as wrong for a string field. */
function wrongValue(kind: Kind): fc.Arbitrary<unknown> {
  const choices: fc.Arbitrary<unknown>[] = [];
  if (kind !== "string") choices.push(fc.string({ minLength: 1, maxLength: 8 }).filter((text) => !/^\s*-?\d/.test(text)));
  if (kind !== "list") choices.push(fc.array(fc.string({ maxLength: 4 }), { minLength: 1, maxLength: 3 }));
  if (kind !== "map") choices.push(fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), fc.string({ maxLength: 4 }), { minKeys: 1, maxKeys: 3 }));
  if (kind !== "integer") choices.push(fc.integer({ min: 1, max: 99 }).map((n) => (kind === "string" ? n : n + 0.5)));
  if (kind !== "boolean") choices.push(fc.boolean());
  return fc.oneof(...choices);
}

/** Replaces the value at a path such as `spec.containers[0].image` in a plain object. */
function setPath(root: Record<string, unknown>, path: string, value: unknown): void {
  const steps = path.split(/\.|(?=\[)/).map((step) => (step.startsWith("[") ? Number(step.slice(1, -1)) : step));
  let node: unknown = root;
  for (const step of steps.slice(0, -1)) {
    node = (node as Record<string | number, unknown>)[step];
  }
  (node as Record<string | number, unknown>)[steps[steps.length - 1] as string | number] = value;
}

describe("manifest loader under arbitrary input", () => {
  it("never throws on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
        assertWellFormed(timedParse(bytes));
      }),
      parameters,
    );
  });

  it("never throws on YAML-like text", () => {
    fc.assert(
      fc.property(yamlish, (text) => {
        assertWellFormed(timedParse(text));
      }),
      parameters,
    );
  });

  it("never throws on arbitrary Unicode text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 2000 }), (text) => {
        assertWellFormed(timedParse(text));
      }),
      parameters,
    );
  });

  it("reads any JSON value without throwing", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.boolean(), (value, asJson) => {
        const text = asJson ? JSON.stringify(value) : stringify(value);
        assertWellFormed(timedParse(text));
      }),
      parameters,
    );
  });

  it("names the field of a value of the wrong type", () => {
    const mutation = fc
      .constantFrom(...TYPED_FIELDS)
      .chain(([path, kind]) => fc.tuple(fc.constant(path), wrongValue(kind), fc.boolean()));
    fc.assert(
      fc.property(mutation, ([path, value, asJson]) => {
        const pod = basePod();
        setPath(pod, path, value);
        const text = asJson ? JSON.stringify(pod) : stringify(pod);
        const result = timedParse(text);

        assertWellFormed(result);
        assert.deepEqual(result.pods, [], `a wrong type at ${path} must reject the pod`);
        const atPath = result.errors.filter((error) => error.path === path);
        assert.ok(atPath.length > 0, `no error at ${path}: ${result.errors.map((error) => error.message).join("; ")}`);
        assert.match(atPath[0]?.detail ?? "", /expected an? (string|list|map|integer|boolean)/);
      }),
      parameters,
    );
  });

  it("reports the offset of an invalid UTF-8 byte", () => {
    const valid = Buffer.from(stringify(basePod()));
    fc.assert(
      fc.property(fc.nat({ max: valid.length - 1 }), fc.constantFrom(0xc0, 0xc1, 0xf5, 0xf8, 0xfe, 0xff), (offset, byte) => {
        const bytes = Buffer.from(valid);
        bytes[offset] = byte;
        const result = timedParse(bytes);
        assert.equal(result.errors.length, 1);
        assert.match(result.errors[0]?.message ?? "", new RegExp(`^${FILE}:\\d+:\\d+: invalid UTF-8 byte 0x${byte.toString(16)} at byte offset ${offset};`));
        const lineOfOffset = valid.subarray(0, offset).toString("utf8").split("\n").length;
        assert.equal(result.errors[0]?.line, lineOfOffset);
      }),
      parameters,
    );
  });

  it("rejects a control character with its position", () => {
    const valid = stringify(basePod());
    const controls = [0x00, 0x01, 0x07, 0x08, 0x0b, 0x0c, 0x1b, 0x7f, 0x9f, 0xfffe];
    fc.assert(
      fc.property(fc.nat({ max: valid.length }), fc.constantFrom(...controls), (index, code) => {
        const text = valid.slice(0, index) + String.fromCodePoint(code) + valid.slice(index);
        const result = timedParse(text);
        assert.equal(result.errors.length, 1);
        const before = valid.slice(0, index).split("\n");
        assert.equal(result.errors[0]?.line, before.length);
        assert.equal(result.errors[0]?.column, (before[before.length - 1] ?? "").length + 1);
        assert.match(result.errors[0]?.detail ?? "", /^character U\+[0-9A-F]{4} is not allowed in YAML/);
      }),
      parameters,
    );
  });

  it("finds duplicate keys as the yaml package does, in linear time", async () => {
    const { parseAllDocuments } = await import("yaml");
    const key = fc.constantFrom("a", "b", "c", "1", "'1'", "1.0", "true", "~", "<<");
    const map = fc.array(fc.tuple(key, fc.constantFrom("x", "{a: 1}", "[1]")), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(map, (pairs) => {
        const text = pairs.map(([k, v]) => `${k}: ${v}`).join("\n") + "\n";
        const reference = parseAllDocuments(text, { uniqueKeys: true, merge: true })[0];
        const referenceDuplicate = reference?.errors.some((error) => error.code === "DUPLICATE_KEY") ?? false;
        const result = parseManifest(FILE, text);
        const duplicate = result.errors.some((error) => error.detail.startsWith("invalid YAML: map keys must be unique"));
        assert.equal(duplicate, referenceDuplicate, text);
      }),
      parameters,
    );
  });
});

describe("manifest loader limits", () => {
  const rejects = (name: string, text: string, pattern: RegExp): void => {
    it(name, () => {
      const result = timedParse(text);
      assertWellFormed(result);
      assert.deepEqual(result.pods, []);
      assert.equal(result.errors.length, 1, result.errors.map((error) => error.message).join("\n"));
      assert.match(result.errors[0]?.message ?? "", pattern);
    });
  };

  for (const depth of [MAX_NESTING_DEPTH + 1, 500, 5_000, 100_000]) {
    rejects(`rejects flow nesting ${depth} deep`, "[".repeat(depth) + "]".repeat(depth), /nested too deeply; at most 64 levels/);
    rejects(`rejects map nesting ${depth} deep`, "{a: ".repeat(depth) + "1" + "}".repeat(depth), /nested too deeply; at most 64 levels/);
  }
  rejects(
    "rejects block nesting past the limit",
    Array.from({ length: MAX_NESTING_DEPTH + 1 }, (_, i) => `${" ".repeat(i)}a:`).join("\n") + " 1\n",
    /^fuzz\.yaml:\d+:\d+: invalid YAML: maps and sequences are nested too deeply/,
  );

  it("accepts nesting at the limit", () => {
    const text = "a: " + "[".repeat(MAX_NESTING_DEPTH - 1) + "]".repeat(MAX_NESTING_DEPTH - 1) + "\n";
    const result = timedParse(text);
    assert.ok(!result.errors.some((error) => /nested too deeply/.test(error.message)), result.errors[0]?.message);
  });

  rejects(
    "rejects a billion-laughs document",
    "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" +
      [..."bcdefghi"].map((name, i) => `${name}: &${name} [${Array(9).fill(`*${"abcdefgh"[i]}`).join(", ")}]`).join("\n") +
      "\n",
    new RegExp(`at most ${MAX_ALIAS_COUNT} alias expansions`),
  );

  rejects(
    "rejects a text over the size limit before parsing it",
    "a: " + "x".repeat(MAX_FILE_BYTES) + "\n",
    new RegExp(`^fuzz\\.yaml: file is ${MAX_FILE_BYTES + 4} bytes; the maximum is ${MAX_FILE_BYTES} bytes$`),
  );

  it("reads a string of nearly 1 MiB", () => {
    const text = `name: big\ncontainers: [{name: main, image: busybox, args: ["${"x".repeat(MAX_FILE_BYTES - 100)}"]}]\n`;
    const result = timedParse(text);
    assert.deepEqual(result.errors, []);
    assert.equal(result.pods[0]?.containers[0]?.args[0]?.length, MAX_FILE_BYTES - 100);
  });

  it("parses a 1 MiB map of distinct keys in linear time", () => {
    // With the yaml package's own duplicate-key check this took minutes.
    const rows = ["name: big", "containers: [{name: main, image: busybox}]", "annotations:"];
    let size = rows.join("\n").length;
    for (let i = 0; size < MAX_FILE_BYTES - 100; i++) {
      rows.push(`  k${i}: v`);
      size += rows[rows.length - 1]!.length + 1;
    }
    const result = timedParse(rows.join("\n") + "\n");
    assertWellFormed(result);
  });

  it("caps the problems reported for one file", () => {
    const rows = ["apiVersion: v1", "kind: Pod", "metadata: {name: web}", "spec:", "  containers:", "  - name: main", "    image: busybox", "    command:"];
    for (let i = 0; i < 500; i++) rows.push(`    - ${i}`);
    const result = timedParse(rows.join("\n") + "\n");
    assert.equal(result.errors.length, MAX_PROBLEMS_PER_FILE + 1);
    assert.equal(result.errors[MAX_PROBLEMS_PER_FILE]?.message, `fuzz.yaml: ${500 - MAX_PROBLEMS_PER_FILE} more errors are not shown`);
  });
});

describe("manifest files on disk", () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "tinylet-fuzz-"));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("rejects a 100 MB file without reading it", async () => {
    const huge = join(dir, "huge.yaml");
    await writeFile(huge, "");
    await truncate(huge, 100 * 1024 * 1024);
    await writeFile(join(dir, "good.yaml"), "name: good\ncontainers: [{name: main, image: busybox}]\n");

    const heapBefore = process.memoryUsage().heapUsed;
    const directory = new ManifestDirectory(dir);
    const scan = await directory.scan();
    const grewBy = process.memoryUsage().heapUsed - heapBefore;

    assert.deepEqual(
      scan.pods.map((pod) => pod.name),
      ["good"],
    );
    const errors = scan.problems.filter((problem) => problem.severity === "error");
    assert.deepEqual(
      errors.map((error) => error.message),
      [`${huge}: file is ${100 * 1024 * 1024} bytes; the maximum is ${MAX_FILE_BYTES} bytes`],
    );
    assert.equal(directory.statistics.reads, 1, "only the small file is read");
    assert.ok(grewBy < 50 * 1024 * 1024, `heap grew by ${grewBy} bytes`);

    const [validation] = await validateFiles([huge]);
    assert.deepEqual(
      validation?.errors.map((error) => error.message),
      [`${huge}: file is ${100 * 1024 * 1024} bytes; the maximum is ${MAX_FILE_BYTES} bytes`],
    );
  });

  it("keeps a good pod whatever a neighbouring file holds", async () => {
    const case_ = await mkdtemp(join(dir, "neighbour-"));
    await writeFile(join(case_, "good.yaml"), "name: good\ncontainers: [{name: main, image: busybox}]\n");
    const directory = new ManifestDirectory(case_);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 2048 }), yamlish.map((text) => Buffer.from(text))), async (bytes) => {
        await writeFile(join(case_, "other.yaml"), bytes);
        const scan = await directory.scan();
        assert.ok(
          scan.pods.some((pod) => pod.name === "good"),
          "the good pod stays desired",
        );
        for (const problem of scan.problems) {
          assert.ok(problem.file.startsWith(case_), `problem names a file of the directory: ${problem.message}`);
        }
      }),
      { ...parameters, numRuns: Math.min(runs, 100) },
    );
  });
});
