import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import {
  renderEnv,
  type ShellAssignment,
  type ShellName,
  type ShellScript,
} from "../../src/shell/render.ts";

/** Values that break naive quoting; each must come back byte for byte. */
export function quotingCorpus(dir: string): Record<string, string> {
  return {
    Q_DQ: 'a"b',
    Q_INJ: `x";touch ${dir}/pwned-dq;"y`,
    Q_SQ_INJ: `x';touch ${dir}/pwned-sq;'y`,
    Q_DOLLAR: `$HOME and \${USER} and $(touch ${dir}/pwned-sub)`,
    Q_TICK: `\`touch ${dir}/pwned-tick\``,
    Q_SQ: "it's",
    Q_PWSH: 'a`$env:PATH`"',
    Q_FISH: "back\\slash (paren) {brace} ~tilde",
    Q_BACKSLASH: "\\\\ \\n \\' \\\" trailing\\",
    Q_NEWLINE: "line1\nline2\n",
    Q_CRLF: "a\r\nb",
    Q_TAB: "a\tb",
    Q_PERCENT: "100% %s %d %n %F{red}",
    Q_UNICODE: "grüße 日本 🎉",
    Q_EMPTY: "",
    Q_SPACES: "  two  spaces  ",
    Q_GLOB: "* ? [a] ~ ~/x {a,b}",
    Q_OPERATORS: "a;b&&c|d>e<f&",
    Q_DASH: "-e",
    Q_DOUBLE_DASH: "--help",
    Q_HISTORY: "!! !$ ^a^b",
    Q_QUOTES_ONLY: "''\"\"''",
    PATH: "/My Store/hello/bin:/usr/bin:/bin:/opt/Vendor Tools/bin",
    CDPATH: `/it's/$x:/a b/\\c`,
    MANPATH: "/n/share/man",
  };
}

/** Files the injected commands would create; none may exist after a run. */
export const PWNED_FILES = ["pwned-dq", "pwned-sq", "pwned-sub", "pwned-tick", "pwned-comment"];

export function quotingScript(dir: string): ShellScript {
  const set: ShellAssignment[] = Object.entries(quotingCorpus(dir)).map(([key, value]) => ({
    key,
    value,
  }));
  set.push({
    key: "Q_COMMENTED",
    value: "x",
    comment: `[patch: corp/ca:1]\ntouch ${dir}/pwned-comment`,
  });
  return { set, unset: ["Q_TO_UNSET", "Q_NEVER_SET"] };
}

// Each shell evals the script under its strictest option for unset
// variables, then prints the environment NUL-separated so newlines survive.
const EVAL_AND_PRINT = 'eval "$(/usr/bin/cat "$OCX_TEST_SCRIPT")"; /usr/bin/env -0';
const COMMANDS: Record<Exclude<ShellName, "pwsh">, string[]> = {
  bash: ["/usr/bin/bash", "--norc", "--noprofile", "-c", `set -eu; ${EVAL_AND_PRINT}`],
  zsh: ["/usr/bin/zsh", "-f", "-c", `setopt nounset errexit; ${EVAL_AND_PRINT}`],
  posix: ["/usr/bin/dash", "-c", `set -eu; ${EVAL_AND_PRINT}`],
  fish: [
    "/usr/bin/fish",
    "--no-config",
    "-c",
    "/usr/bin/cat $OCX_TEST_SCRIPT | source; and /usr/bin/env -0",
  ],
};

export interface ShellRun {
  dir: string;
  env: Map<string, string>;
  stderr: string;
  exitCode: number;
}

/**
 * Renders the quoting script for `shell`, runs it in the real shell and
 * reads back the environment.
 */
export async function runQuotingScript(shell: Exclude<ShellName, "pwsh">): Promise<ShellRun> {
  const dir = await mkdtemp(join(tmpdir(), `ocx-shell-${shell}-`));
  const scriptPath = join(dir, "script");
  await writeFile(scriptPath, renderEnv(shell, quotingScript(dir)));

  const child = Bun.spawn(COMMANDS[shell], {
    cwd: dir,
    env: {
      HOME: dir,
      XDG_CONFIG_HOME: join(dir, "config"),
      XDG_DATA_HOME: join(dir, "data"),
      PATH: "/usr/bin:/bin",
      Q_TO_UNSET: "present",
      OCX_TEST_SCRIPT: scriptPath,
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).arrayBuffer(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { dir, env: parseEnv0(Buffer.from(stdout)), stderr, exitCode };
}

function parseEnv0(output: Buffer): Map<string, string> {
  const env = new Map<string, string>();
  for (const record of output.toString("utf8").split("\u0000")) {
    const equals = record.indexOf("=");
    if (equals > 0) env.set(record.slice(0, equals), record.slice(equals + 1));
  }
  return env;
}
