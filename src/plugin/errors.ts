import { ExitCode, OcxError } from "../error/index.ts";

export const PLUGIN_LOAD_FAILED = "PLUGIN_LOAD_FAILED";
export const PLUGIN_INVALID = "PLUGIN_INVALID";
export const PLUGIN_NOT_ALLOWED = "PLUGIN_NOT_ALLOWED";
export const PLUGIN_HOOK_FAILED = "PLUGIN_HOOK_FAILED";
export const PLUGIN_HOOK_TIMEOUT = "PLUGIN_HOOK_TIMEOUT";
export const PLUGIN_RESULT_INVALID = "PLUGIN_RESULT_INVALID";

export function pluginHookFailed(plugin: string, hook: string, cause: unknown): OcxError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new OcxError(PLUGIN_HOOK_FAILED, `plugin "${plugin}" failed in ${hook}: ${detail}`, {
    hint: `fix or remove the plugin "${plugin}" (see \`ocx plugin list\` for where it is loaded from)`,
    cause,
    exitCode: ExitCode.failure,
  });
}

export function pluginHookTimeout(plugin: string, hook: string, timeoutMs: number): OcxError {
  return new OcxError(PLUGIN_HOOK_TIMEOUT, `plugin "${plugin}" timed out in ${hook} after ${timeoutMs} ms`, {
    hint: `fix the plugin, or raise timeout_ms under [plugins] in config.toml`,
    exitCode: ExitCode.failure,
  });
}

export function pluginResultInvalid(plugin: string, hook: string, detail: string): OcxError {
  return new OcxError(PLUGIN_RESULT_INVALID, `plugin "${plugin}" returned invalid data from ${hook}: ${detail}`, {
    hint: `fix the return value of ${hook} in plugin "${plugin}"; the types are in ocx-plugin.d.ts (\`ocx plugin new\` writes it)`,
    exitCode: ExitCode.dataError,
  });
}
