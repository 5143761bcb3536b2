import { commentLine, type ShellScript } from "./script.ts";

/**
 * Variables fish keeps as lists and joins with `:` on export. Setting them
 * from one string would make a single element holding the colons.
 */
const LIST_VARIABLES = new Set(["PATH", "CDPATH", "MANPATH"]);

/**
 * Quotes a value for fish. Inside fish single quotes only `\'` and `\\` are
 * escapes, so backslashes are doubled and quotes escaped; `$`, newlines and
 * everything else stay literal.
 */
export function quoteFish(value: string): string {
  return `'${value.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

/**
 * Renders `set -gx` lines for `ocx env | source`. `--` ends the options, so a
 * value starting with `-` is never read as a flag. An unset goes through
 * `if set -q`, because `set -e` on a missing variable returns a failure.
 * NOTE: fish exports an empty element of PATH or CDPATH as `.`, so a
 * caller's `a::b` comes back as `a:.:b`. ocx itself adds no empty elements.
 */
export function renderFish(script: ShellScript): string {
  const lines: string[] = [];
  for (const { key, value, comment } of script.set) {
    lines.push(`set -gx -- ${key}${fishValues(key, value)}`);
    if (comment !== undefined) lines.push(commentLine(comment));
  }
  for (const key of script.unset) lines.push(`if set -q ${key}; set -e ${key}; end`);
  return lines.map((line) => `${line}\n`).join("");
}

function fishValues(key: string, value: string): string {
  if (!LIST_VARIABLES.has(key)) return ` ${quoteFish(value)}`;
  // An empty list exports as the empty string, matching the value "".
  if (value === "") return "";
  return value
    .split(":")
    .map((element) => ` ${quoteFish(element)}`)
    .join("");
}
