import { commentLine, type ShellScript } from "./script.ts";

// Values made only of printable ASCII go in single quotes; any other goes as base64.
const PLAIN = /^[\u0020-\u007e]*$/;

/**
 * Quotes a value for PowerShell. In a single-quoted string only a quote
 * needs care, so it is doubled. Anything outside printable ASCII is sent
 * as base64 UTF-8 instead: PowerShell also reads U+2018 to U+201B as
 * single quotes, splits a native command's output at line breaks
 * (dropping carriage returns), and decodes it with the console encoding.
 */
export function quotePwsh(value: string): string {
  if (PLAIN.test(value)) return `'${value.replaceAll("'", "''")}'`;
  const base64 = Buffer.from(value, "utf8").toString("base64");
  return `[Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('${base64}'))`;
}

/** Renders `$env:` assignments and removals for `Invoke-Expression`. */
export function renderPwsh(script: ShellScript): string {
  const lines: string[] = [];
  for (const { key, value, comment } of script.set) {
    lines.push(`$env:${key} = ${quotePwsh(value)}`);
    if (comment !== undefined) lines.push(commentLine(comment));
  }
  for (const key of script.unset) lines.push(`Remove-Item -LiteralPath 'Env:${key}' -ErrorAction SilentlyContinue`);
  return lines.map((line) => `${line}\n`).join("");
}
