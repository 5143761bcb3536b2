import { commentLine, type ShellScript } from "./script.ts";

/**
 * Quotes a value for bash. Inside single quotes nothing expands, so only a
 * quote itself needs care: it closes the string, adds `\'` and reopens.
 */
export function quoteBash(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * Renders `export` and `unset` lines that are safe to `eval` under `set -eu`.
 * `unset -v` keeps bash from removing a function of that name when no
 * variable exists.
 */
export function renderBash(script: ShellScript): string {
  const lines: string[] = [];
  for (const { key, value, comment } of script.set) {
    lines.push(`export ${key}=${quoteBash(value)}`);
    if (comment !== undefined) lines.push(commentLine(comment));
  }
  for (const key of script.unset) lines.push(`unset -v ${key}`);
  return lines.map((line) => `${line}\n`).join("");
}
