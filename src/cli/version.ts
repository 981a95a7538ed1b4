import { readFileSync } from "node:fs";

/** tinylet's version, read from package.json at the repository root (three levels above dist/src/cli). */
export const VERSION: string = (() => {
  try {
    const text = readFileSync(new URL("../../../package.json", import.meta.url), "utf8");
    return String((JSON.parse(text) as { version?: unknown }).version ?? "unknown");
  } catch {
    return "unknown";
  }
})();
