import { commentLine, type ShellScript } from "./script.ts";

/**
 * Quotes a value for a POSIX shell such as dash. Single quotes keep every
 * character literal, so only a quote itself is closed, escaped and reopened.
 */
export function quotePosix(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * Renders lines that POSIX sh can `eval` under `set -eu`. `export name=value`
 * and `unset -v` are both in POSIX, so no bash or zsh feature is needed.
 */
export function renderPosix(script: ShellScript): string {
  const lines: string[] = [];
  for (const { key, value, comment } of script.set) {
    lines.push(`export ${key}=${quotePosix(value)}`);
    if (comment !== undefined) lines.push(commentLine(comment));
  }
  for (const key of script.unset) lines.push(`unset -v ${key}`);
  return lines.map((line) => `${line}\n`).join("");
}
