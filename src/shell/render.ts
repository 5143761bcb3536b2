import { ExitCode, OcxError } from "../error/index.ts";
import { renderBash } from "./bash.ts";
import { SHELL_UNKNOWN, SHELL_VARIABLE_INVALID } from "./errors.ts";
import { renderFish } from "./fish.ts";
import { renderPosix } from "./posix.ts";
import { renderPwsh } from "./pwsh.ts";
import type { ShellScript } from "./script.ts";
import { renderZsh } from "./zsh.ts";

export type { ShellAssignment, ShellScript } from "./script.ts";

export type ShellName = "bash" | "zsh" | "fish" | "posix" | "pwsh";

export const SHELL_NAMES: readonly ShellName[] = ["bash", "zsh", "fish", "posix", "pwsh"];

const RENDERERS: Record<ShellName, (script: ShellScript) => string> = {
  bash: renderBash,
  zsh: renderZsh,
  fish: renderFish,
  posix: renderPosix,
  pwsh: renderPwsh,
};

const ALIASES: Record<string, ShellName> = { sh: "posix", dash: "posix", powershell: "pwsh" };

// Names every shell accepts; anything else could smuggle syntax into the line.
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Renders shell code that sets and unsets variables, safe to `eval` (or
 * `source` in fish) whatever bytes the values hold. Names and values are
 * checked first because both come from registry content.
 */
export function renderEnv(shell: ShellName, script: ShellScript): string {
  for (const { key, value } of script.set) {
    checkName(key);
    if (value.includes("\u0000")) {
      throw new OcxError(
        SHELL_VARIABLE_INVALID,
        `invalid value of variable "${key}": it contains a NUL byte`,
        {
          hint: "environment variables cannot contain NUL bytes; fix the package metadata that sets it",
          exitCode: ExitCode.dataError,
        },
      );
    }
  }
  for (const key of script.unset) checkName(key);
  return RENDERERS[shell](script);
}

/**
 * Parses a shell name as given to `--shell`, or taken from `$SHELL`: a path
 * counts by its last segment, case is ignored, and `sh` or `dash` mean posix.
 */
export function parseShellName(text: string): ShellName {
  const name = (text.trim().split("/").at(-1) ?? "").toLowerCase();
  const shell = ALIASES[name] ?? SHELL_NAMES.find((candidate) => candidate === name);
  if (shell !== undefined) return shell;
  throw new OcxError(SHELL_UNKNOWN, `unknown shell "${text}"`, {
    hint: `use one of: ${SHELL_NAMES.join(", ")} (sh and dash mean posix, powershell means pwsh)`,
    exitCode: ExitCode.usage,
  });
}

function checkName(key: string): void {
  if (VARIABLE_NAME.test(key)) return;
  throw new OcxError(
    SHELL_VARIABLE_INVALID,
    `invalid variable name "${key}": expected letters, digits and _, not starting with a digit`,
    { hint: "fix the package metadata or plugin that declares it", exitCode: ExitCode.dataError },
  );
}
