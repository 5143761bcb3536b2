import { cac } from "cac";
import { ExitCode, OcxError, isOcxError } from "../error/index.ts";
import type { CAC } from "cac";
import { createContext, type CommandRunner, type GlobalFlags } from "./context.ts";
import { CLI_USAGE } from "./errors.ts";
import { writeStdout } from "./stdout.ts";
import { VERSION } from "./version.ts";


type Register = (cli: CAC, run: CommandRunner) => void;

/**
 * Each command module, loaded only when its command runs (or for the full
 * help): evaluating every module at start-up cost each run of `ocx env`
 * and of the activation hook about 40 ms.
 */
const COMMANDS: { names: string[]; load: () => Promise<Register[]> }[] = [
  { names: ["install"], load: async () => [(await import("./commands/install.ts")).registerInstall] },
  { names: ["exec"], load: async () => [(await import("./commands/exec.ts")).registerExec] },
  { names: ["env"], load: async () => [(await import("./commands/env.ts")).registerEnv] },
  { names: ["deps"], load: async () => [(await import("./commands/deps.ts")).registerDeps] },
  { names: ["activate", "deactivate", "hook-env"], load: async () => [(await import("./commands/activate.ts")).registerActivate] },
  { names: ["index update"], load: async () => [(await import("./commands/index-update.ts")).registerIndexUpdate] },
  { names: ["package push"], load: async () => [(await import("./commands/package-push.ts")).registerPackagePush] },
  { names: ["patch publish"], load: async () => [(await import("./commands/patch-publish.ts")).registerPatchPublish] },
  {
    names: ["login", "logout"],
    load: async () => {
      const module = await import("./commands/login.ts");
      return [module.registerLogin, module.registerLogout];
    },
  },
  { names: ["patch test"], load: async () => [(await import("./commands/patch-test.ts")).registerPatchTest] },
  { names: ["patch sync", "patch freeze"], load: async () => [(await import("./commands/patch-sync.ts")).registerPatchSync] },
  { names: ["uninstall"], load: async () => [(await import("./commands/uninstall.ts")).registerUninstall] },
  { names: ["clean"], load: async () => [(await import("./commands/clean.ts")).registerClean] },
  { names: ["verify"], load: async () => [(await import("./commands/verify.ts")).registerVerify] },
  { names: ["bundle export", "bundle import", "bundle inventory"], load: async () => [(await import("./commands/bundle.ts")).registerBundle] },
  { names: ["plugin list", "plugin new"], load: async () => [(await import("./commands/plugin.ts")).registerPlugin] },
  { names: ["why"], load: async () => [(await import("./commands/why.ts")).registerWhy] },
  { names: ["config show"], load: async () => [(await import("./commands/config-show.ts")).registerConfigShow] },
  { names: ["doctor"], load: async () => [(await import("./commands/doctor.ts")).registerDoctor] },
  { names: ["trust", "untrust"], load: async () => [(await import("./commands/trust.ts")).registerTrust] },
];

/** Loads the module of the named command, or every module when none matches (help, typos). */
async function registerCommands(cli: CAC, run: CommandRunner, name: string | undefined): Promise<void> {
  if (name === "-V" || name === "--version") return;
  const matching = COMMANDS.filter((command) => name !== undefined && command.names.includes(name));
  const chosen = matching.length > 0 ? matching : COMMANDS;
  const modules = await Promise.all(chosen.map((command) => command.load()));
  for (const register of modules.flat()) register(cli, run);
}

/** Two-word commands (`index update`) are matched as one cac command name. */
const GROUPS: Record<string, string[]> = {
  config: ["show"],
  bundle: ["export", "import", "inventory"],
  index: ["update"],
  package: ["push"],
  patch: ["publish", "test", "sync", "freeze"],
  plugin: ["list", "new"],
};

/** Runs the CLI and returns the exit code; never calls process.exit. */
export async function main(argv: string[]): Promise<number> {
  // Verbosity is counted from the raw arguments (see createContext), so cac
  // never receives the flag and cannot mistake the next argument for its value.
  const args = joinGroupCommand(argv);
  // Everything after `--` belongs to the command `ocx exec` runs: never rewritten or read as flags.
  const separator = args.indexOf("--");
  const ownArgs = separator === -1 ? args : args.slice(0, separator);
  const passedArgs = separator === -1 ? [] : args.slice(separator);
  const toCommandArgs = () => [
    ...ownArgs.filter((arg) => !/^(-v+|--verbose)$/.test(arg)).map(camelCaseFlag).map(checkBooleanFlag),
    ...passedArgs,
  ];
  const cli = cac("ocx");
  cli.option("--offline", "Never touch the network (also OCX_OFFLINE=1)");
  cli.option("--json", "Print machine-readable JSON on stdout");
  cli.option("-q, --quiet", "Print errors only (no progress)");
  cli.option("--progress", "Show download progress when stderr is not a terminal");
  cli.option("-v, --verbose", "Print debug logs; twice (-vv) for trace");

  let exitCode: number = ExitCode.ok;
  const flagsOf = (options: Record<string, unknown>) => options as GlobalFlags;
  const run: CommandRunner = (action) =>
    async (...params) => {
      const options = params.at(-1) as Record<string, unknown>;
      const ctx = createContext(flagsOf(options), ownArgs);
      exitCode = (await action(ctx, ...params)) ?? ExitCode.ok;
    };

  await registerCommands(cli, run, args[0]);
  cli.help();
  cli.version(VERSION, "-V, --version");

  const isJson = ownArgs.includes("--json");
  try {
    cli.parse(["ocx", "ocx", ...toCommandArgs()], { run: false });
    if (cli.options.help || cli.options.version) return ExitCode.ok;
    if (!cli.matchedCommand) {
      if (args.length === 0) {
        cli.outputHelp();
        return ExitCode.usage;
      }
      const subcommands = GROUPS[args[0] ?? ""];
      throw new OcxError(CLI_USAGE, `unknown command "${args[0]}"`, {
        hint: subcommands
          ? `"${args[0]}" needs a subcommand: ${subcommands.map((name) => `ocx ${args[0]} ${name}`).join(", ")}`
          : "run `ocx --help` for the list of commands",
        exitCode: ExitCode.usage,
      });
    }
    await cli.runMatchedCommand();
    return exitCode;
  } catch (error) {
    const isVerbose = ownArgs.some((arg) => /^(-v+|--verbose)$/.test(arg));
    return reportError(toOcxError(error), { isJson, isVerbose });
  }
}

function joinGroupCommand(argv: string[]): string[] {
  const [first, second, ...rest] = argv;
  if (first !== undefined && second !== undefined && GROUPS[first]?.includes(second)) {
    return [`${first} ${second}`, ...rest];
  }
  return argv;
}

/**
 * cac 7 lists boolean options for its parser under camelCase names while
 * the parser reads `--show-patches`, so a kebab-case boolean flag would take
 * the next argument as its value. Passing the camelCase spelling avoids it.
 */
function camelCaseFlag(arg: string): string {
  if (!/^--[a-z]+(-[a-z]+)+(=|$)/.test(arg)) return arg;
  const [flag, ...value] = arg.split("=");
  const name = flag!.slice(2).replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase());
  return [`--${name}`, ...value].join("=");
}

const BOOLEAN_FLAGS = new Set(["offline", "json", "quiet", "clean", "showPatches"]);

/** `--offline=1` would reach the command as the string "1"; only bare boolean flags are accepted. */
function checkBooleanFlag(arg: string): string {
  const match = /^--([A-Za-z]+)=(.*)$/.exec(arg);
  if (match === null || !BOOLEAN_FLAGS.has(match[1]!)) return arg;
  throw new OcxError(CLI_USAGE, `option "--${match[1]}" takes no value, got "${match[2]}"`, {
    hint: `write --${match[1]} on its own`,
    exitCode: ExitCode.usage,
  });
}

const IO_ERROR_CODES = new Set(["EACCES", "EPERM", "EROFS", "ENOSPC", "EDQUOT", "EIO", "EMFILE", "ENFILE", "EISDIR", "ENOTDIR", "ENOENT"]);

const IO_HINTS: Record<string, string> = {
  ENOSPC: "free space on that file system and retry",
  ENOENT: "check the path: its folder must exist",
  EISDIR: "the path is a folder; name a file",
  ENOTDIR: "a part of the path is a file, not a folder",
};

/**
 * Turns what escapes the commands into typed errors: cac's usage mistakes
 * (plain errors named CACError), and file system errors that no module
 * wrapped (an --output path that cannot be written, a read-only home), which
 * are I/O failures of the user's environment, not bugs.
 */
function toOcxError(error: unknown): unknown {
  const errno = error as NodeJS.ErrnoException;
  if (errno instanceof Error && errno.code !== undefined && IO_ERROR_CODES.has(errno.code)) {
    const where = errno.path === undefined ? "" : ` "${errno.path}"`;
    return new OcxError("IO_FAILED", `${errno.syscall ?? "file operation"}${where} failed: ${errno.code}`, {
      hint: IO_HINTS[errno.code] ?? "check the permissions and mount of that path (OCX_HOME must be writable)",
      cause: error,
      exitCode: ExitCode.ioError,
    });
  }
  if (error instanceof Error && error.name === "CACError") {
    return new OcxError(CLI_USAGE, error.message.replace(/`/g, '"'), {
      hint: "run the command with --help to see its arguments and options",
      exitCode: ExitCode.usage,
    });
  }
  return error;
}

function reportError(error: unknown, options: { isJson: boolean; isVerbose: boolean }): number {
  if (isOcxError(error)) {
    if (options.isJson) {
      writeStdout(`${JSON.stringify({ error: error.toJSON() }, null, 2)}\n`);
    } else {
      process.stderr.write(`error[${error.code}]: ${error.message}\n`);
      if (error.hint) process.stderr.write(`  hint: ${error.hint}\n`);
    }
    if (options.isVerbose && error.stack) process.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`internal error: ${text}\nThis is a bug in ocx; please report it with the command you ran.\n`);
  return ExitCode.failure;
}
