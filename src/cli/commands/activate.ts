import type { CAC } from "cac";
import { diffScript, readState, revertState } from "../../shell/activation-state.ts";
import { renderActivation, renderDeactivation } from "../../shell/hook.ts";
import { parseShellName, renderEnv, type ShellName } from "../../shell/render.ts";
import { changedSince } from "../../shell/watch.ts";
import type { CommandContext, CommandRunner } from "../context.ts";

interface ShellOptions {
  shell?: string;
}

export function registerActivate(cli: CAC, run: CommandRunner): void {
  cli
    .command("activate [shell]", "Print the prompt hook that applies ./ocx.toml's tools (bash, zsh, fish, pwsh, posix)")
    .option("--status", "Say what is active in this shell and from which file")
    .example('eval "$(ocx activate bash)"   # in ~/.bashrc; zsh: ~/.zshrc')
    .example("ocx activate fish | source    # in ~/.config/fish/config.fish")
    .action(
      run(async (ctx, shell: string | undefined, options: { status?: boolean }) => {
        if (options.status) return printStatus(ctx);
        ctx.stdout(renderActivation(chooseShell(ctx, shell), { binary: process.execPath }));
      }),
    );

  cli
    .command("deactivate [shell]", "Print code that restores the variables activation changed and removes the hook")
    .option("--shell <shell>", "Shell dialect (default: from $SHELL)")
    .action(
      run(async (ctx, shell: string | undefined, options: ShellOptions) => {
        const dialect = chooseShell(ctx, shell ?? options.shell);
        const state = readState(ctx.env);
        const target = revertState(ctx.env, state);
        const script = diffScript(ctx.env, { target, previous: state, next: undefined });
        ctx.stdout(renderEnv(dialect, script) + renderDeactivation(dialect));
      }),
    );

  cli
    .command("hook-env", "Used by the activation hook: print the changes for the current folder")
    .option("--shell <shell>", "Shell dialect (default: from $SHELL)")
    .option("--project-file <file>", "The ocx.toml the shell found; empty for none")
    .action(
      run(async (ctx, options: ShellOptions & { projectFile?: unknown }) => {
        const { runHookEnv } = await import("../../shell/hook-env.ts");
        const projectFile = typeof options.projectFile === "string" && options.projectFile !== "" ? options.projectFile : undefined;
        const result = await runHookEnv({
          shell: chooseShell(ctx, options.shell),
          env: ctx.env,
          projectFile,
          binary: process.execPath,
          openSession: (sessionOptions) => ctx.openSession(sessionOptions),
        });
        ctx.stdout(result.code);
        if (result.error === undefined) return;
        // One line, so a broken project never floods every prompt. The hook
        // does not run again until a watched file changes, so say how to retry.
        const hint = result.error.hint ? ` (${result.error.hint})` : "";
        process.stderr.write(`ocx: error[${result.error.code}]: ${result.error.message}${hint}; once fixed, run \`touch ocx.toml\` or cd out and back in to retry\n`);
        return result.error.exitCode;
      }),
    );
}

function chooseShell(ctx: CommandContext, shell: string | undefined): ShellName {
  // An unknown $SHELL (tcsh, say) is an error: POSIX code would not work there.
  return parseShellName(shell ?? ctx.env.SHELL ?? "sh");
}

function printStatus(ctx: CommandContext): void {
  const state = readState(ctx.env);
  const changed = state === undefined ? undefined : changedSince(state.watch);
  if (ctx.isJson) {
    const document = state === undefined
      ? { active: false }
      : { active: true, project: state.project, tools: state.tools, variables: Object.keys(state.vars), isCurrent: changed === undefined, changed: changed ?? null };
    ctx.stdout(`${JSON.stringify(document, null, 2)}\n`);
    return;
  }
  if (state === undefined) {
    ctx.stdout("not active: no ocx.toml applied in this shell\n");
    return;
  }
  const lines = [
    `active: ${state.project}`,
    `tools: ${state.tools.length === 0 ? "(none)" : state.tools.join(", ")}`,
    `variables: ${Object.keys(state.vars).join(", ") || "(none)"}`,
    changed === undefined ? "up to date" : `out of date: ${changed} changed; the next prompt refreshes it`,
  ];
  ctx.stdout(`${lines.join("\n")}\n`);
}
