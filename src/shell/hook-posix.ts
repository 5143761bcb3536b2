import type { FreshCheck } from "./hook.ts";
import { quotePosix } from "./posix.ts";

/**
 * Activation for POSIX sh (tested with dash). POSIX has no prompt
 * hook, and a command substitution in PS1 runs in a subshell that cannot
 * change the shell's variables. So the hook runs at activation and after
 * every `cd` through a `cd` function; after editing `ocx.toml` without
 * changing folder, run `__ocx_hook` yourself. POSIX functions have no
 * local variables, so the hook's own are removed before it returns.
 */
export function posixActivation(binary: string): string {
  const ocx = quotePosix(binary);
  return [
    "ocx() {",
    '  if [ "${1-}" = deactivate ]; then',
    `    eval "$(${ocx} deactivate --shell posix)"`,
    "  else",
    `    ${ocx} "$@"`,
    "  fi",
    "}",
    "__ocx_fresh() { return 1; }",
    "__ocx_hook() {",
    "  __ocx_rc=$?",
    "  __ocx_dir=${PWD%/}",
    "  __ocx_found=",
    "  while :; do",
    '    if [ -f "$__ocx_dir/ocx.toml" ]; then __ocx_found=$__ocx_dir/ocx.toml; break; fi',
    '    [ -n "$__ocx_dir" ] || break',
    "    __ocx_dir=${__ocx_dir%/*}",
    "  done",
    '  if ! __ocx_fresh "$__ocx_found"; then',
    `    eval "$(${ocx} hook-env --shell posix --project-file "$__ocx_found")"`,
    "  fi",
    '  set -- "$__ocx_rc"',
    "  unset __ocx_rc __ocx_dir __ocx_found",
    '  return "$1"',
    "}",
    'if [ -z "${__ocx_cd_wrapped-}" ]; then',
    '  cd() { command cd "$@" && __ocx_hook; }',
    "  __ocx_cd_wrapped=1",
    "fi",
    "__ocx_hook",
    "",
  ].join("\n");
}

export function posixFresh(check: FreshCheck): string {
  const lines = ["__ocx_fresh() {"];
  if (check.stamp === null) {
    lines.push("  return 1", "}", "");
    return lines.join("\n");
  }
  const stamp = quotePosix(check.stamp);
  lines.push(`  [ "\${1-}" = ${quotePosix(check.project)} ] || return 1`);
  for (const [name, value] of check.variables) {
    lines.push(`  [ "\${${name}-}" = ${quotePosix(value)} ] || return 1`);
  }
  lines.push(`  [ -e ${stamp} ] || return 1`);
  for (const file of check.files) lines.push(`  if [ ${quotePosix(file)} -nt ${stamp} ]; then return 1; fi`);
  lines.push("  return 0", "}", "");
  return lines.join("\n");
}

export function posixDeactivation(): string {
  return [
    "unset -f __ocx_hook __ocx_fresh ocx",
    'if [ -n "${__ocx_cd_wrapped-}" ]; then unset -f cd; unset __ocx_cd_wrapped; fi',
    "",
  ].join("\n");
}
