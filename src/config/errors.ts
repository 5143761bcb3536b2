import { ExitCode, OcxError } from "../error/index.ts";

export const CONFIG_INVALID = "CONFIG_INVALID";
export const CONFIG_PATH_INVALID = "CONFIG_PATH_INVALID";

/** A config file that does not parse or validate; names the file, line and key. */
export function configInvalid(
  file: string,
  detail: { line?: number; key?: string; reason: string },
): OcxError {
  const where = detail.line === undefined ? file : `${file}:${detail.line}`;
  const key = detail.key === undefined ? "" : ` key "${detail.key}"`;
  return new OcxError(CONFIG_INVALID, `invalid config ${where}:${key} ${detail.reason}`.replace(":  ", ": "), {
    hint: "fix the file; ocx does not fall back to defaults when a config tier is invalid",
    exitCode: ExitCode.dataError,
  });
}
