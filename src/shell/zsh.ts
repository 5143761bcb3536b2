import { commentLine, type ShellScript } from "./script.ts";

/**
 * Quotes a value for zsh. Single quotes keep every character literal in
 * zsh's default options; `RC_QUOTES` only changes `''` inside a quoted
 * string, which this quoting never produces.
 */
export function quoteZsh(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Renders `export` and `unset` lines that are safe to `eval` under `setopt nounset`. */
export function renderZsh(script: ShellScript): string {
  const lines: string[] = [];
  for (const { key, value, comment } of script.set) {
    lines.push(`export ${key}=${quoteZsh(value)}`);
    if (comment !== undefined) lines.push(commentLine(comment));
  }
  for (const key of script.unset) lines.push(`unset -v ${key}`);
  return lines.map((line) => `${line}\n`).join("");
}
