import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { OCX_BINARY, type RunResult, type Sandbox } from "./harness.ts";

/** How one shell runs a scenario; scripts read paths from variables, never inline. */
export interface Dialect {
  /** The name `ocx activate` takes. */
  name: "bash" | "zsh" | "fish" | "posix";
  argv(script: string): string[];
  /** The strictest options for unset variables and failures. */
  strict: string;
  activate: string;
  /** Loads an activation script saved at `$ACTIVATION`. */
  sourceActivation: string;
  dump(name: string): string;
  repeat(times: number, body: string): string;
  print(variable: string): string;
  /** Exports a variable; `value` is shell syntax, e.g. a quoted path. */
  exportVar(name: string, value: string): string;
  /** Evaluates `ocx env` for the project file found from the cwd. */
  envProject: string;
}

const posixFamily = {
  dump: (name: string) => `/usr/bin/env -0 > "$OUT/${name}"`,
  repeat: (times: number, body: string) => `i=0; while [ $i -lt ${times} ]; do ${body}; i=$((i + 1)); done`,
  print: (variable: string) => `printf '<%s>\\n' "\${${variable}-(unset)}"`,
  sourceActivation: '. "$ACTIVATION"',
  exportVar: (name: string, value: string) => `export ${name}=${value}`,
};

export const DIALECTS: Record<string, Dialect> = {
  bash: {
    name: "bash",
    argv: (script) => ["/usr/bin/bash", "--norc", "--noprofile", "-c", script],
    strict: "set -eu",
    activate: 'eval "$("$OCX" activate bash)"',
    envProject: 'eval "$("$OCX" env --shell bash)"',
    ...posixFamily,
  },
  zsh: {
    name: "zsh",
    argv: (script) => ["/usr/bin/zsh", "-f", "-c", script],
    strict: "setopt nounset errexit",
    activate: 'eval "$("$OCX" activate zsh)"',
    envProject: 'eval "$("$OCX" env --shell zsh)"',
    ...posixFamily,
  },
  dash: {
    name: "posix",
    argv: (script) => ["/usr/bin/dash", "-c", script],
    strict: "set -eu",
    activate: 'eval "$("$OCX" activate posix)"',
    envProject: 'eval "$("$OCX" env --shell posix)"',
    ...posixFamily,
  },
  fish: {
    name: "fish",
    argv: (script) => ["/usr/bin/fish", "--no-config", "-c", script],
    strict: "",
    activate: '"$OCX" activate fish | source',
    sourceActivation: 'source "$ACTIVATION"',
    dump: (name) => `/usr/bin/env -0 > "$OUT/${name}"`,
    repeat: (times, body) => `for i in (seq ${times}); ${body}; end`,
    // The exported form: fish joins a list variable such as PATH with ":".
    print: (variable) =>
      `if set -q ${variable}; printf '<%s>\\n' (/usr/bin/printenv ${variable} | string collect); else; printf '<(unset)>\\n'; end`,
    exportVar: (name, value) => `set -gx ${name} ${value}`,
    envProject: '"$OCX" env --shell fish | source',
  },
};

export const SHELLS = Object.keys(DIALECTS);

/** Runs `lines` in the dialect's shell with `cwd` and `env`. */
export async function runDialect(
  dialect: Dialect,
  lines: string[],
  options: { env: Record<string, string>; cwd: string },
): Promise<RunResult> {
  const child = Bun.spawn(dialect.argv(lines.filter((line) => line !== "").join("\n")), {
    env: options.env,
    cwd: options.cwd,
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { stdout, stderr, exitCode };
}

/** Variables each shell sets for itself; they are not ocx's business. */
const SHELL_OWN = new Set(["PWD", "OLDPWD", "SHLVL", "_"]);

/** Reads a file written by `env -0`, without the shells' own variables. */
export async function readDump(file: string): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const record of (await readFile(file, "utf8")).split("\0")) {
    const equals = record.indexOf("=");
    if (equals <= 0) continue;
    const key = record.slice(0, equals);
    if (!SHELL_OWN.has(key)) env[key] = record.slice(equals + 1);
  }
  return env;
}

/**
 * Copies the ocx binary into the sandbox and writes a wrapper that logs
 * each call before running it, so a test can count the processes the hook
 * starts. Returns the copy (the binary the hook watches), the log, and
 * the activation script with the wrapper in place of the copy.
 */
export async function countingActivation(
  sandbox: Sandbox,
  dialect: Dialect,
): Promise<{ binary: string; log: string; activation: string }> {
  const bin = join(sandbox.root, "bin");
  await mkdir(bin, { recursive: true });
  const binary = join(bin, "ocx");
  await copyFile(OCX_BINARY, binary);
  await Bun.spawn(["chmod", "755", binary]).exited;
  const log = join(sandbox.root, "calls.log");
  const wrapper = join(bin, "ocx-counting");
  await writeFile(wrapper, `#!/bin/sh\necho "call $*" >> '${log}'\nexec '${binary}' "$@"\n`, { mode: 0o755 });
  const generated = Bun.spawnSync([binary, "activate", dialect.name], { env: sandbox.env() }).stdout.toString();
  const activation = join(sandbox.root, `activate.${dialect.name}`);
  await writeFile(activation, generated.replaceAll(binary, wrapper));
  return { binary, log, activation };
}

/** Splits the call log at `mark NAME` lines and counts hook calls in each part. */
export async function callsPerStep(log: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let step = "activate";
  for (const line of (await readFile(log, "utf8")).split("\n")) {
    if (line.startsWith("mark ")) step = line.slice(5);
    else if (line.startsWith("call hook-env")) counts[step] = (counts[step] ?? 0) + 1;
    counts[step] ??= 0;
  }
  return counts;
}
