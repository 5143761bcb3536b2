import { bashActivation, bashDeactivation, bashFresh } from "./hook-bash.ts";
import { fishActivation, fishDeactivation, fishFresh } from "./hook-fish.ts";
import { posixActivation, posixDeactivation, posixFresh } from "./hook-posix.ts";
import { pwshActivation, pwshDeactivation, pwshFresh } from "./hook-pwsh.ts";
import type { ShellName } from "./render.ts";

/**
 * What the shell compares before each prompt to decide, without starting
 * a process, that the active environment is still current.
 */
export interface FreshCheck {
  /** The project file the hook applied, or "" for none. */
  project: string;
  /** Variables that change what ocx resolves, with the values they had. */
  variables: [name: string, value: string][];
  /** A file whose mtime is past every watched mtime; `null` forces a refresh. */
  stamp: string | null;
  files: string[];
}

/** The name of the function each hook defines; tests call it to run the hook once. */
export const HOOK_FUNCTION = "__ocx_hook";

/** Variables whose values the hook compares; each changes config or store paths. */
export const CHECKED_VARIABLES = ["OCX_HOME", "OCX_SYSTEM_CONFIG", "OCX_OFFLINE", "HOME"];

interface HookDialect {
  activation(binary: string): string;
  fresh(check: FreshCheck): string;
  deactivation(): string;
}

const DIALECTS: Record<ShellName, HookDialect> = {
  bash: {
    activation: (binary) => bashActivation("bash", binary),
    fresh: bashFresh,
    deactivation: () => bashDeactivation("bash"),
  },
  zsh: {
    activation: (binary) => bashActivation("zsh", binary),
    fresh: bashFresh,
    deactivation: () => bashDeactivation("zsh"),
  },
  fish: { activation: fishActivation, fresh: fishFresh, deactivation: fishDeactivation },
  posix: { activation: posixActivation, fresh: posixFresh, deactivation: posixDeactivation },
  pwsh: { activation: pwshActivation, fresh: pwshFresh, deactivation: pwshDeactivation },
};

/**
 * The code `ocx activate SHELL` prints: an `ocx` wrapper function (so
 * `ocx deactivate` can change the shell), the hook, its registration
 * before each prompt, and one run of the hook.
 */
export function renderActivation(shell: ShellName, options: { binary: string }): string {
  return DIALECTS[shell].activation(options.binary);
}

/** Defines the function the hook calls to skip work when nothing changed. */
export function renderFreshCheck(shell: ShellName, check: FreshCheck): string {
  return DIALECTS[shell].fresh(check);
}

/** Removes the hook, its registration and the `ocx` wrapper function. */
export function renderDeactivation(shell: ShellName): string {
  return DIALECTS[shell].deactivation();
}
