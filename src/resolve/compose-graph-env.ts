import { identifierOf, parseReference } from "../oci/reference.ts";
import { composeEnv, type ComposeInput, type ComposeResult } from "../env/compose.ts";
import { expandTemplate } from "../package/template.ts";
import type { PackageGraph } from "./build-graph.ts";

/**
 * Composes the environment of a graph in its Kahn order. Tokens are expanded
 * here, not at install time, so a moved store still yields correct paths.
 */
export function composeGraphEnv(
  graph: PackageGraph,
  base: Record<string, string | undefined>,
): ComposeResult {
  return composeEnv(graphInputs(graph), base);
}

/** The compose inputs of a graph in its Kahn order, tokens expanded. */
export function graphInputs(graph: PackageGraph): ComposeInput[] {
  return graph.order.map((id) => {
    const node = graph.nodes.get(id)!;
    const { metadata, contentDir } = node.package;
    const deps: Record<string, string> = {};
    for (const dependency of metadata.dependencies) {
      if (dependency.name === undefined) continue;
      const dependencyNode = graph.nodes.get(identifierOf(parseReference(dependency.identifier)));
      if (dependencyNode) deps[dependency.name] = dependencyNode.package.contentDir;
    }
    const isCompanion = node.isCompanion && node.patches.length > 0;
    return {
      id,
      role: isCompanion ? "companion" : "package",
      ...(isCompanion ? { patches: node.patches } : {}),
      entries: metadata.env.map((entry) => ({
        key: entry.key,
        type: entry.type,
        value: expandTemplate(entry.value, { installPath: contentDir, deps }),
        ...(entry.separator === undefined ? {} : { separator: entry.separator }),
      })),
    };
  });
}
