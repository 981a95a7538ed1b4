/**
 * Checks on the shape of a parsed YAML document that run before any field is read: duplicate map
 * keys and nesting depth. Both walk the node tree once, with an explicit stack, so a hostile
 * document can neither take quadratic time nor overflow the call stack here.
 */
import { isMap, isPair, isScalar, isSeq, type Document, type Node } from "yaml";

import { MAX_NESTING_DEPTH } from "./limits.js";

/** Problems found by checkStructure. */
export interface StructureProblems {
  /** Every key that repeats an earlier key of the same map, in document order. */
  duplicateKeys: Node[];
  /** The earliest node, by position, nested deeper than MAX_NESTING_DEPTH, if any. */
  tooDeep: Node | undefined;
}

/**
 * Finds duplicate keys and excessive nesting. Keys compare as the yaml package's `uniqueKeys`
 * option compares them: scalars by value, other keys by identity, and `<<` merge keys never. That option compares each key
 * with every earlier key, which takes minutes on a 1 MiB map, so the parser runs without it and
 * this check uses a set per map instead. Aliases are not followed, so an alias bomb costs nothing.
 */
export function checkStructure(doc: Document.Parsed, maxDepth = MAX_NESTING_DEPTH): StructureProblems {
  const problems: StructureProblems = { duplicateKeys: [], tooDeep: undefined };
  const stack: Array<{ node: unknown; depth: number }> = [{ node: doc.contents, depth: 1 }];

  while (stack.length > 0) {
    const { node, depth } = stack.pop() as { node: unknown; depth: number };
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth > maxDepth) {
      if (problems.tooDeep === undefined || (node.range?.[0] ?? 0) < (problems.tooDeep.range?.[0] ?? 0)) problems.tooDeep = node;
      continue;
    }

    const seen = new Set<unknown>();
    for (const item of node.items) {
      if (!isPair(item)) {
        stack.push({ node: item, depth: depth + 1 });
        continue;
      }
      // With the merge option the parser gives `<<` keys a symbol value, and repeating them is allowed.
      if (isScalar(item.key) && typeof item.key.value !== "symbol") {
        if (seen.has(item.key.value)) problems.duplicateKeys.push(item.key);
        seen.add(item.key.value);
      }
      stack.push({ node: item.key, depth: depth + 1 }, { node: item.value, depth: depth + 1 });
    }
  }

  problems.duplicateKeys.sort((a, b) => (a.range?.[0] ?? 0) - (b.range?.[0] ?? 0));
  return problems;
}
