import type { LogLevel, Reporter } from "../report/reporter.ts";
import type { Session, SessionOptions } from "../resolve/session.ts";
import { StderrReporter } from "./stderr-reporter.ts";
import { writeStdout } from "./stdout.ts";

/** Flags every command accepts. */
export interface GlobalFlags {
  offline?: boolean;
  json?: boolean;
  quiet?: boolean;
  progress?: boolean;
  verbose?: boolean | boolean[];
}

/** The process resources a command uses: streams, environment, a session. */
export interface CommandContext {
  env: Record<string, string | undefined>;
  cwd: string;
  reporter: Reporter;
  isJson: boolean;
  stdout(text: string): void;
  /**
   * `isRefreshing` for commands that sync with registries (install, index
   * update); `isOffline: true` forces offline whatever the flags are (e.g.
   * `bundle import`); `projectFile` replaces the search for ocx.toml up from
   * the cwd, and `null` means none. `extraPlugins` and
   * `ignoredPatchRepositories` serve `ocx patch test`.
   */
  openSession(
    options?: Pick<SessionOptions, "isRefreshing" | "isOffline" | "projectFile" | "extraPlugins" | "ignoredPatchRepositories">,
  ): Promise<Session>;
}

export function createContext(flags: GlobalFlags, argv: string[]): CommandContext {
  const env = process.env as Record<string, string | undefined>;
  const reporter = new StderrReporter({
    level: logLevel(flags, argv, env),
    isColor: !env.NO_COLOR && process.stderr.isTTY === true,
    isTerminal: process.stderr.isTTY === true,
    isProgressForced: flags.progress === true,
  });
  return {
    env,
    cwd: process.cwd(),
    reporter,
    isJson: flags.json === true,
    stdout: (text) => void writeStdout(text),
    // Loaded on demand so `--help` and `--version` skip config, store and registry code.
    openSession: async (options = {}) => {
      const { openSession } = await import("../resolve/session.ts");
      return openSession({ env, cwd: process.cwd(), reporter, ...options, isOffline: flags.offline === true || options.isOffline === true });
    },
  };
}

/** `--quiet` keeps errors; each `--verbose` adds a level; OCX_LOG sets it for CI. */
function logLevel(flags: GlobalFlags, argv: string[], env: Record<string, string | undefined>): LogLevel {
  if (flags.quiet) return "error";
  const verbosity = argv.filter((arg) => arg === "-v" || arg === "--verbose").length
    + argv.filter((arg) => /^-vv+$/.test(arg)).reduce((sum, arg) => sum + arg.length - 1, 0);
  if (verbosity >= 2) return "trace";
  if (verbosity === 1) return "debug";
  const fromEnv = env.OCX_LOG?.toLowerCase();
  if (fromEnv === "error" || fromEnv === "warn" || fromEnv === "info" || fromEnv === "debug" || fromEnv === "trace") {
    return fromEnv;
  }
  return "info";
}

/** A command body: returns the exit code, or nothing for success. */
export type CommandAction = (ctx: CommandContext, ...params: any[]) => Promise<number | void>;

/** Wraps a command body so it receives a context and records its exit code. */
export type CommandRunner = (action: CommandAction) => (...params: any[]) => Promise<void>;
