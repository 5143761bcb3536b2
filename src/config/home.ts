import { homedir } from "node:os";
import { isAbsolute, join, normalize } from "node:path";
import { ExitCode, OcxError } from "../error/index.ts";
import { CONFIG_PATH_INVALID } from "./errors.ts";

/**
 * Resolves `$OCX_HOME`, defaulting to `~/.ocx`. A leading `~/` expands to
 * `$HOME`; anything else must be absolute. `$VAR` is never expanded, so a
 * quoted variable in a script fails here instead of creating a folder named
 * `$HOME` under the working directory.
 */
export function resolveHome(env: Record<string, string | undefined>): string {
  const value = env.OCX_HOME;
  if (value === undefined || value === "") return join(env.HOME || homedir(), ".ocx");
  return expandUserPath(value, { name: "OCX_HOME", env });
}

export function expandUserPath(
  value: string,
  options: { name: string; env: Record<string, string | undefined> },
): string {
  let path = value;
  if (path === "~" || path.startsWith("~/")) path = join(options.env.HOME || homedir(), path.slice(1));
  if (/\$\{?[A-Za-z_]/.test(path)) {
    throw new OcxError(CONFIG_PATH_INVALID, `invalid path in ${options.name} "${value}": variables are not expanded`, {
      hint: "write an absolute path, or let your shell expand the variable before ocx reads it",
      exitCode: ExitCode.usage,
    });
  }
  if (!isAbsolute(path)) {
    throw new OcxError(CONFIG_PATH_INVALID, `invalid path in ${options.name} "${value}": the path must be absolute`, {
      hint: "use an absolute path or one starting with ~/",
      exitCode: ExitCode.usage,
    });
  }
  return normalize(path);
}
