import { ExitCode, OcxError } from "../error/index.ts";
import { ENV_TRANSFORM_INVALID } from "./errors.ts";
import type { ComposeResult, Origin } from "./types.ts";

/**
 * Applies a plugin's environment changes to a composed result and returns a
 * new result, leaving the input unmodified. A string sets a variable and
 * `undefined` removes it. Each effective change records the plugin as its
 * origin, and a change to the current value is ignored. Plugins run after
 * composition, so their changes are not reported as conflicts.
 */
export function applyTransform(
  result: ComposeResult,
  pluginName: string,
  changes: Record<string, string | undefined>,
): ComposeResult {
  const env = { ...result.env };
  const changed = new Set(result.changed);
  const unset = new Set(result.unset);
  const origins: Record<string, Origin[]> = {};
  for (const [key, list] of Object.entries(result.origins)) origins[key] = [...list];

  for (const [key, value] of Object.entries(changes)) {
    checkValue(pluginName, key, value);
    const previous = env[key];
    if (value === undefined) {
      if (!Object.hasOwn(env, key)) continue;
      delete env[key];
      changed.delete(key);
      unset.add(key);
    } else {
      if (env[key] === value) continue;
      env[key] = value;
      changed.add(key);
      unset.delete(key);
    }
    (origins[key] ??= []).push({
      id: pluginName,
      role: "plugin",
      action: value === undefined ? "unset" : "set",
      ...(value === undefined ? {} : { value }),
      ...(previous === undefined ? {} : { previous }),
    });
  }

  return {
    env,
    changed: [...changed].sort(),
    unset: [...unset].sort(),
    origins,
    conflicts: result.conflicts,
  };
}

/** Plugins are plain JavaScript, so their values are checked at run time. */
function checkValue(pluginName: string, key: string, value: unknown): void {
  if (value === undefined || typeof value === "string") return;

  const received = value === null ? "null" : typeof value;
  throw new OcxError(
    ENV_TRANSFORM_INVALID,
    `invalid environment change from plugin "${pluginName}": ${key} is ${received}, expected a string or undefined`,
    {
      hint: `fix transformEnv in plugin "${pluginName}" to return strings, or undefined to unset`,
      exitCode: ExitCode.dataError,
    },
  );
}
