import type { CAC } from "cac";
import { parseShellName, renderEnv, type ShellName } from "../../shell/render.ts";
import type { CommandRunner } from "../context.ts";
import { composeRequested, originComment } from "../environment.ts";

export function registerEnv(cli: CAC, run: CommandRunner): void {
  cli
    .command("env [...references]", "Print the composed environment as shell code")
    .option("--shell <shell>", "Shell dialect: bash, zsh, fish, pwsh or posix (default: from $SHELL)")
    .option("--show-patches", "Annotate values a patch or plugin set")
    .example('eval "$(ocx env localhost:5000/tools/node:22)"')
    .example('eval "$(ocx env)"   # the [tools] of ./ocx.toml or a parent folder\'s')
    .action(
      run(async (ctx, references: string[], options: { shell?: string; showPatches?: boolean }) => {
        const shell = options.shell === undefined ? defaultShell(ctx.env.SHELL) : parseShellName(options.shell);
        const { graph, result } = await composeRequested(ctx, { references, command: "env", base: ctx.env });
        if (ctx.isJson) {
          const env = Object.fromEntries(result.changed.map((key) => [key, result.env[key]]));
          const origins = Object.fromEntries(result.changed.map((key) => [key, result.origins[key] ?? []]));
          ctx.stdout(`${JSON.stringify({ env, origins, order: graph.order }, null, 2)}\n`);
          return;
        }
        const set = result.changed.map((key) => {
          const comment = options.showPatches ? originComment(result, key) : undefined;
          return { key, value: result.env[key]!, ...(comment ? { comment } : {}) };
        });
        ctx.stdout(renderEnv(shell, { set, unset: result.unset }));
      }),
    );
}

function defaultShell(shellPath: string | undefined): ShellName {
  const name = shellPath?.split("/").at(-1);
  return name === "bash" || name === "zsh" || name === "fish" || name === "pwsh" ? name : "posix";
}
