import { parseArgs } from "node:util";

import { validateFiles } from "../manifest/index.js";
import { UsageError } from "./output.js";

export const VALIDATE_HELP = `Usage: tinylet validate FILE|DIR... [flags]

Checks manifest files offline with the same code the daemon uses, and prints each error and
warning as FILE:LINE:COLUMN: FIELD: MESSAGE. Directories are read the way the daemon reads them
(*.yaml, *.yml, *.json and *.manifest; names starting with "." are skipped).
Exits 1 when any file has an error, 0 otherwise (warnings alone do not fail).

Flags:
  -q, --quiet    print errors only, not warnings or the summary
  -h, --help     print this help
`;

/** Runs `tinylet validate`; writes findings to `out` and returns 1 when any file has an error. */
export async function validateCommand(argv: string[], out: (text: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      quiet: { type: "boolean", short: "q", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    out(VALIDATE_HELP);
    return 0;
  }
  if (positionals.length === 0) {
    throw new UsageError("validate needs at least one FILE or DIR");
  }

  const results = await validateFiles(positionals);
  let errors = 0;
  let warnings = 0;
  let pods = 0;
  for (const result of results) {
    pods += result.pods.length;
    for (const error of result.errors) {
      errors++;
      out(`error: ${error.message}\n`);
    }
    for (const warning of result.warnings) {
      warnings++;
      if (!values.quiet) {
        out(`warning: ${warning.message}\n`);
      }
    }
  }
  if (!values.quiet) {
    out(`${results.length} file(s), ${pods} pod(s), ${errors} error(s), ${warnings} warning(s)\n`);
  }
  return errors > 0 ? 1 : 0;
}
