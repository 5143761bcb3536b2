import { constants } from "node:os";
import type { CAC } from "cac";
import { NO_PATCHES_ENV } from "../../config/load-config.ts";
import { ExitCode, OcxError } from "../../error/index.ts";
import { usageError } from "../arguments.ts";
import type { CommandRunner } from "../context.ts";
import { composeRequested } from "../environment.ts";

/** Variables `--clean` keeps from the caller: identity, terminal and locale only. */
const CLEAN_PATH = "/usr/local/bin:/usr/bin:/bin";
const CLEAN_KEEP = ["HOME", "USER", "LOGNAME", "TERM", "LANG", "LC_ALL", "TZ", "TMPDIR", "OCX_HOME", "OCX_OFFLINE", "OCX_SYSTEM_CONFIG"];

export const EXEC_COMMAND_NOT_FOUND = "EXEC_COMMAND_NOT_FOUND";
export const EXEC_CANNOT_RUN = "EXEC_CANNOT_RUN";

export function registerExec(cli: CAC, run: CommandRunner): void {
  cli
    .command("exec [...references]", "Run a command in the packages' composed environment")
    .usage("exec [--clean] [REF...] -- CMD [ARGS...]   (no REF: the [tools] of ocx.toml)")
    .option("--clean", "Start from an empty environment (keeps HOME, USER, TERM, locale; PATH is the packages' plus /usr/local/bin:/usr/bin:/bin)")
    .example("ocx exec localhost:5000/tools/jq:1.7 -- jq --version")
    .action(
      run(async (ctx, references: string[], options: { clean?: boolean; "--"?: string[] }) => {
        const command = options["--"] ?? [];
        if (command.length === 0) {
          throw usageError("ocx exec needs a command after --", "example: ocx exec REF -- tool --version");
        }
        // A clean environment still finds the system's basic tools, after the packages' own.
        const base = options.clean ? { ...pick(ctx.env, CLEAN_KEEP), PATH: CLEAN_PATH } : { ...ctx.env };
        const { result, session } = await composeRequested(ctx, { references, command: "exec", base });
        // A nested ocx (a build script calling `ocx exec`) keeps the project's
        // opt-out even when it runs outside the project folder.
        const { noPatches } = session.config;
        const forwarded = noPatches.length === 0 ? {} : { [NO_PATCHES_ENV]: noPatches.join(",") };
        return spawnInherited(command, { ...base, ...result.env, ...forwarded });
      }),
    );
}

async function spawnInherited(command: string[], env: Record<string, string | undefined>): Promise<number> {
  const [name, ...args] = command as [string, ...string[]];
  const executable = name.includes("/") ? name : Bun.which(name, { PATH: env.PATH ?? "" });
  if (executable === null) {
    throw new OcxError(EXEC_COMMAND_NOT_FOUND, `command not found: "${name}"`, {
      hint: "check the name; the composed PATH is printed by `ocx env`",
      exitCode: ExitCode.commandNotFound,
    });
  }
  let child;
  try {
    child = Bun.spawn([executable, ...args], {
      env: definedOnly(env),
      stdio: ["inherit", "inherit", "inherit"],
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new OcxError(EXEC_CANNOT_RUN, `cannot run "${name}": ${(error as Error).message}`, {
      hint: code === "ENOENT" ? "the file does not exist" : "check that the file is executable",
      exitCode: code === "ENOENT" ? ExitCode.commandNotFound : ExitCode.cannotExecute,
      cause: error,
    });
  }
  // The child gets terminal signals itself; ocx waits instead of dying first.
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const handlers = (["SIGINT", "SIGTERM", "SIGHUP"] as const).map((signal) => {
    const handler = forward(signal);
    process.on(signal, handler);
    return () => process.off(signal, handler);
  });
  const status = await child.exited;
  for (const remove of handlers) remove();
  const signal = child.signalCode;
  if (signal) return 128 + (typeof signal === "number" ? signal : (signalNumber(signal) ?? 0));
  return status;
}

function signalNumber(signal: string): number | undefined {
  return constants.signals[signal as keyof typeof constants.signals];
}

function pick(env: Record<string, string | undefined>, keys: string[]): Record<string, string | undefined> {
  return Object.fromEntries(keys.filter((key) => env[key] !== undefined).map((key) => [key, env[key]]));
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
