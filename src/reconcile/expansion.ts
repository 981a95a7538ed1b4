/**
 * `$(VAR)` references in command, args and env values, expanded as Kubernetes expands them:
 * `$(NAME)` becomes the variable's value when it is defined and stays as written when it is not,
 * `$$` is a literal `$`, and a `$` followed by anything else, or an unclosed `$(`, is kept as is.
 */

/** Expands the `$(NAME)` references of `input` with `lookup`, which returns undefined for an unknown name. */
export function expandReferences(input: string, lookup: (name: string) => string | undefined): string {
  let output = "";
  let index = 0;
  while (index < input.length) {
    const dollar = input.indexOf("$", index);
    if (dollar === -1 || dollar === input.length - 1) {
      output += input.slice(index);
      break;
    }
    output += input.slice(index, dollar);

    const next = input[dollar + 1];
    if (next === "$") {
      output += "$";
      index = dollar + 2;
      continue;
    }
    if (next !== "(") {
      output += `$${next}`;
      index = dollar + 2;
      continue;
    }

    const close = input.indexOf(")", dollar + 2);
    if (close === -1) {
      // An unclosed reference is kept; scanning goes on after "$(", so a later "$$" is still an escape.
      output += "$(";
      index = dollar + 2;
      continue;
    }
    const name = input.slice(dollar + 2, close);
    output += lookup(name) ?? `$(${name})`;
    index = close + 1;
  }
  return output;
}
