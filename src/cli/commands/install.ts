import type { CAC } from "cac";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { CommandRunner } from "../context.ts";
import { requireReferences } from "../arguments.ts";
import { describeNodes, type NodeSummary } from "../graph-view.ts";
import type { PackageGraph } from "../../resolve/build-graph.ts";
import { formatBytes } from "../progress-view.ts";

/** One package in `ocx install --json`. */
interface InstallSummary extends NodeSummary {
  /** Compressed bytes of the config and layers, as the manifest lists them. */
  size: number;
  /** Bytes this run downloaded: `size` when newly installed, else 0. */
  downloaded: number;
  /** Time to download and extract, for packages installed by this run. */
  timeMs?: number;
}

export function registerInstall(cli: CAC, run: CommandRunner): void {
  cli
    .command("install [...references]", "Install packages, their dependencies and companions")
    .example("ocx install localhost:5000/tools/jq:1.7")
    .example("ocx install --json localhost:5000/tools/jq:1.7   # digests, sizes and times")
    .action(
      run(async (ctx, references: string[]) => {
        const started = performance.now();
        const roots = requireReferences(references, "install");
        const session = await ctx.openSession({ isRefreshing: true });
        const graph = await session.plan(roots, { refresh: true });
        const installed = await session.install(graph);
        const packages = await summarize(graph, installed);
        const timeMs = Math.round(performance.now() - started);
        if (ctx.isJson) {
          const downloaded = packages.reduce((sum, item) => sum + item.downloaded, 0);
          ctx.stdout(`${JSON.stringify({ packages, downloaded, timeMs }, null, 2)}\n`);
          return;
        }
        for (const item of packages) {
          const note = item.downloaded > 0 ? ` (${formatBytes(item.downloaded)} in ${((item.timeMs ?? 0) / 1000).toFixed(1)} s)` : "";
          ctx.stdout(`${item.role.padEnd(10)} ${item.identifier} ${item.digest}${note}\n`);
        }
      }),
    );
}

async function summarize(
  graph: PackageGraph,
  installed: Map<string, { isNew: boolean; ms: number }>,
): Promise<InstallSummary[]> {
  return Promise.all(
    describeNodes(graph).map(async (node) => {
      const size = await manifestSize(graph.nodes.get(node.identifier)!.package.objectDir);
      const result = installed.get(node.identifier);
      const isNew = result?.isNew === true;
      return { ...node, size, downloaded: isNew ? size : 0, ...(isNew ? { timeMs: result.ms } : {}) };
    }),
  );
}

async function manifestSize(objectDir: string): Promise<number> {
  const manifest = JSON.parse(await readFile(join(objectDir, "manifest.json"), "utf8")) as {
    config: { size: number };
    layers: { size: number }[];
  };
  return manifest.config.size + manifest.layers.reduce((sum, layer) => sum + layer.size, 0);
}
