import { log, type Reporter } from "../report/reporter.ts";
import { isErrnoCode } from "../store/errors.ts";
import type { RefStore } from "../store/refs.ts";
import type { PackageGraph } from "./build-graph.ts";
import type { PackageResolver } from "./package-resolver.ts";

/**
 * Makes a built graph durable for the collector: roots are linked under
 * installs/, every dependency gets a back-reference from its dependent, and
 * every companion one from each base it patches.
 */
export async function recordGraph(
  graph: PackageGraph,
  options: { resolver: PackageResolver; refs: RefStore; reporter: Reporter },
): Promise<void> {
  try {
    await recordLinksAndRefs(graph, options);
  } catch (error) {
    // A read-only home still runs what it holds; only the collector's notes are lost.
    const cause = (error as { cause?: unknown }).cause ?? error;
    if (!isErrnoCode(cause, "EROFS", "EACCES", "EPERM")) throw error;
    log(options.reporter, "debug", `not recording installs in a read-only home: ${(error as Error).message}`);
  }
}

async function recordLinksAndRefs(
  graph: PackageGraph,
  options: { resolver: PackageResolver; refs: RefStore },
): Promise<void> {
  for (const id of graph.roots) {
    const node = graph.nodes.get(id);
    if (node) await options.resolver.linkInstall(node.package.reference, node.package.digest);
  }
  for (const edge of graph.edges) {
    const before = graph.nodes.get(edge.before)?.package;
    const after = graph.nodes.get(edge.after)?.package;
    if (before === undefined || after === undefined || before.digest === after.digest) continue;
    if (edge.kind === "dependency") {
      await options.refs.add(before.digest, { kind: "dependency", from: after.digest });
    } else if (edge.kind === "patch") {
      // The note names the descriptor, so the ref lapses when the config drops its registry.
      await options.refs.add(after.digest, { kind: "patch", from: before.digest }, descriptorOf(edge.rule));
    }
  }
}

/** The descriptor location in a patch-registry rule (`"*" in host/repo`), or "" for other sources. */
function descriptorOf(rule: string | undefined): string {
  return / in (\S+\/\S+)$/.exec(rule ?? "")?.[1] ?? "";
}

/** Every object a graph uses, for pinning while the command runs. */
export function graphDigests(graph: PackageGraph): string[] {
  return [...graph.nodes.values()].map((node) => node.package.digest);
}
