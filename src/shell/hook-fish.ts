import { quoteFish } from "./fish.ts";
import type { FreshCheck } from "./hook.ts";

/**
 * Activation for fish: the hook runs on the `fish_prompt` event and when
 * PWD changes. `string replace` is a builtin, so walking up to `ocx.toml`
 * starts no process.
 */
export function fishActivation(binary: string): string {
  const ocx = quoteFish(binary);
  return [
    "function ocx",
    '    if test "$argv[1]" = deactivate',
    `        ${ocx} deactivate --shell fish | source`,
    "    else",
    `        ${ocx} $argv`,
    "    end",
    "end",
    "function __ocx_fresh",
    "    return 1",
    "end",
    "function __ocx_hook --on-event fish_prompt --on-variable PWD",
    // `string collect` keeps a folder name with a newline as one value;
    // plain command substitution would split it into a list that never empties.
    "    set -l dir (string replace -r '/$' '' -- $PWD | string collect)",
    "    set -l found ''",
    "    while true",
    '        if test -f "$dir/ocx.toml"',
    '            set found "$dir/ocx.toml"',
    "            break",
    "        end",
    '        test -n "$dir"; or break',
    "        set dir (string replace -r '/[^/]*$' '' -- $dir | string collect)",
    "    end",
    '    __ocx_fresh "$found"; and return',
    `    ${ocx} hook-env --shell fish --project-file "$found" | source`,
    "end",
    "__ocx_hook",
    "",
  ].join("\n");
}

export function fishFresh(check: FreshCheck): string {
  const lines = ["function __ocx_fresh"];
  if (check.stamp === null) {
    lines.push("    return 1", "end", "");
    return lines.join("\n");
  }
  const stamp = quoteFish(check.stamp);
  lines.push(`    test "$argv[1]" = ${quoteFish(check.project)}; or return 1`);
  for (const [name, value] of check.variables) {
    lines.push(`    test "$${name}" = ${quoteFish(value)}; or return 1`);
  }
  lines.push(`    test -e ${stamp}; or return 1`);
  for (const file of check.files) lines.push(`    test ${quoteFish(file)} -nt ${stamp}; and return 1`);
  lines.push("    return 0", "end", "");
  return lines.join("\n");
}

export function fishDeactivation(): string {
  return "functions -e __ocx_hook __ocx_fresh ocx\n";
}
