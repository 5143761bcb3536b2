/**
 * Variables a shell owns or reads for its own behaviour: setting them from
 * package data breaks `eval` (bash refuses UID, fish refuses status) or
 * changes how the user's shell parses and runs commands.
 */
const RESERVED_VARIABLES = new Set([
  "_", "IFS", "PWD", "OLDPWD", "SHLVL", "UID", "EUID", "PPID", "SHELLOPTS", "BASHOPTS",
  "BASH_ENV", "ENV", "PS4", "PROMPT_COMMAND", "HOME", "status", "argv", "pipestatus", "fish_pid", "history",
]);

/**
 * True for variables that packages and project files may not set: the
 * shell's own (above) and ocx's (`OCX_*`, and `__OCX_*` activation state),
 * which would redirect the store or break deactivation.
 */
export function isReservedVariable(key: string): boolean {
  return RESERVED_VARIABLES.has(key) || key.startsWith("OCX_") || key.startsWith("__OCX");
}
