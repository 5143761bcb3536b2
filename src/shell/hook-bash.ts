import { quoteBash } from "./bash.ts";
import type { FreshCheck } from "./hook.ts";

/**
 * Activation for bash and zsh, which share the syntax used here. Every
 * variable read has a default (`${1-}`), so `set -u` and `setopt nounset`
 * hold. The hook keeps `$?` for prompts that show it, and finds `ocx.toml`
 * with parameter expansion only, so no process starts unless a check fails.
 */
export function bashActivation(shell: "bash" | "zsh", binary: string): string {
  const ocx = quoteBash(binary);
  const register =
    shell === "bash"
      ? [
          'if [[ ";${PROMPT_COMMAND-};" != *";__ocx_hook;"* ]]; then',
          '  PROMPT_COMMAND="__ocx_hook${PROMPT_COMMAND:+;$PROMPT_COMMAND}"',
          "fi",
        ]
      : [
          "typeset -ga precmd_functions chpwd_functions",
          "if (( ! ${precmd_functions[(Ie)__ocx_hook]} )); then precmd_functions=(__ocx_hook $precmd_functions); fi",
          "if (( ! ${chpwd_functions[(Ie)__ocx_hook]} )); then chpwd_functions=(__ocx_hook $chpwd_functions); fi",
        ];
  return [
    "ocx() {",
    '  if [[ "${1-}" == deactivate ]]; then',
    `    eval "$(${ocx} deactivate --shell ${shell})"`,
    "  else",
    `    ${ocx} "$@"`,
    "  fi",
    "}",
    "__ocx_fresh() { return 1; }",
    "__ocx_hook() {",
    "  local __ocx_rc=$? __ocx_dir=${PWD%/} __ocx_found=",
    "  while :; do",
    '    if [[ -f "$__ocx_dir/ocx.toml" ]]; then __ocx_found=$__ocx_dir/ocx.toml; break; fi',
    '    [[ -n "$__ocx_dir" ]] || break',
    "    __ocx_dir=${__ocx_dir%/*}",
    "  done",
    '  if ! __ocx_fresh "$__ocx_found"; then',
    `    eval "$(${ocx} hook-env --shell ${shell} --project-file "$__ocx_found")"`,
    "  fi",
    "  return $__ocx_rc",
    "}",
    ...register,
    "__ocx_hook",
    "",
  ].join("\n");
}

export function bashFresh(check: FreshCheck): string {
  const lines = ["__ocx_fresh() {"];
  if (check.stamp === null) {
    lines.push("  return 1", "}", "");
    return lines.join("\n");
  }
  const stamp = quoteBash(check.stamp);
  lines.push(`  [[ "\${1-}" == ${quoteBash(check.project)} ]] || return 1`);
  for (const [name, value] of check.variables) {
    lines.push(`  [[ "\${${name}-}" == ${quoteBash(value)} ]] || return 1`);
  }
  lines.push(`  [[ -e ${stamp} ]] || return 1`);
  const newer = check.files.map((file) => `${quoteBash(file)} -nt ${stamp}`).join(" || ");
  if (newer !== "") lines.push(`  if [[ ${newer} ]]; then return 1; fi`);
  lines.push("  return 0", "}", "");
  return lines.join("\n");
}

export function bashDeactivation(shell: "bash" | "zsh"): string {
  if (shell === "bash") {
    return [
      "PROMPT_COMMAND=${PROMPT_COMMAND-}",
      "PROMPT_COMMAND=${PROMPT_COMMAND//__ocx_hook;/}",
      "PROMPT_COMMAND=${PROMPT_COMMAND//__ocx_hook/}",
      '[[ -n "$PROMPT_COMMAND" ]] || unset PROMPT_COMMAND',
      "unset -f __ocx_hook __ocx_fresh ocx",
      "",
    ].join("\n");
  }
  return [
    "typeset -ga precmd_functions chpwd_functions",
    "precmd_functions=(${precmd_functions:#__ocx_hook})",
    "chpwd_functions=(${chpwd_functions:#__ocx_hook})",
    "if (( ${+functions[__ocx_hook]} )); then unfunction __ocx_hook; fi",
    "if (( ${+functions[__ocx_fresh]} )); then unfunction __ocx_fresh; fi",
    "if (( ${+functions[ocx]} )); then unfunction ocx; fi",
    "",
  ].join("\n");
}
