import type { CAC } from "cac";
import { requireReferences } from "../arguments.ts";
import type { CommandRunner } from "../context.ts";
import { describeNodes, renderTree } from "../graph-view.ts";

export function registerDeps(cli: CAC, run: CommandRunner): void {
  cli
    .command("deps [...references]", "Show the dependency and patch tree, and the order ocx applies it in")
    .action(
      run(async (ctx, references: string[]) => {
        const roots = requireReferences(references, "deps");
        const session = await ctx.openSession();
        const graph = await session.plan(roots);
        if (ctx.isJson) {
          const document = { roots: graph.roots, order: describeNodes(graph), edges: graph.edges };
          ctx.stdout(`${JSON.stringify(document, null, 2)}\n`);
          return;
        }
        ctx.stdout(renderTree(graph));
      }),
    );
}
