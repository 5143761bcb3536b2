import type { CAC } from "cac";
import { parseReference } from "../../oci/reference.ts";
import type { CommandRunner } from "../context.ts";
import { requireReferences } from "../arguments.ts";
import { describeNodes } from "../graph-view.ts";

export function registerInstall(cli: CAC, run: CommandRunner): void {
  cli
    .command("install [...references]", "Install packages, their dependencies and companions")
    .example("ocx install localhost:5000/tools/jq:1.7")
    .action(
      run(async (ctx, references: string[]) => {
        const roots = requireReferences(references, "install");
        const session = await ctx.openSession({ isRefreshing: true });
        const graph = await session.plan(roots, { refresh: true });
        await session.install(graph);
        const packages = describeNodes(graph);
        if (ctx.isJson) {
          ctx.stdout(`${JSON.stringify({ packages }, null, 2)}\n`);
          return;
        }
        for (const item of packages) ctx.stdout(`${item.role.padEnd(10)} ${item.identifier} ${item.digest}\n`);
      }),
    );
}
