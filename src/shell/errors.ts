/** Error codes of the shell concept; tests and renderers import them. */
export const SHELL_UNKNOWN = "SHELL_UNKNOWN";
export const SHELL_VARIABLE_INVALID = "SHELL_VARIABLE_INVALID";
