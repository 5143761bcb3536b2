import type { GraphEdge, GraphNode, PackageGraph } from "../resolve/build-graph.ts";
import { compareIdentifiers } from "../graph/kahn.ts";

export interface NodeSummary {
  identifier: string;
  digest: string;
  role: "root" | "dependency" | "companion";
  installPath: string;
}

/** Summarizes the nodes of a graph in Kahn order, as install and deps print them. */
export function describeNodes(graph: PackageGraph): NodeSummary[] {
  return graph.order.map((id) => {
    const node = graph.nodes.get(id)!;
    return { identifier: id, digest: node.package.digest, role: roleOf(node), installPath: node.package.contentDir };
  });
}

function roleOf(node: GraphNode): NodeSummary["role"] {
  if (node.isRoot) return "root";
  if (node.isCompanion) return "companion";
  return "dependency";
}

const MARKERS: Record<GraphEdge["kind"], string> = { dependency: "[dep]", patch: "[patch]", plugin: "[plugin]" };

interface TreeChild {
  id: string;
  edge: GraphEdge;
}

/**
 * Renders each root as a tree with `[dep]`, `[patch]` and `[plugin]`
 * markers, then the order ocx applies the packages in.
 */
export function renderTree(graph: PackageGraph): string {
  const lines: string[] = [];
  const visit = (id: string, prefix: string, path: Set<string>) => {
    const children = childrenOf(graph, id);
    children.forEach((child, index) => {
      const isLast = index === children.length - 1;
      lines.push(`${prefix}${isLast ? "└── " : "├── "}${MARKERS[child.edge.kind]} ${child.id}${edgeNote(child.edge)}`);
      if (!path.has(child.id)) visit(child.id, `${prefix}${isLast ? "    " : "│   "}`, new Set([...path, child.id]));
    });
  };
  for (const root of graph.roots) {
    lines.push(root);
    visit(root, "", new Set([root]));
  }
  lines.push("", "order:");
  graph.order.forEach((id, index) => lines.push(`  ${index + 1}. ${id}`));
  return `${lines.join("\n")}\n`;
}

/** Lists what hangs below a node: its dependencies and the companions that patch it. */
function childrenOf(graph: PackageGraph, id: string): TreeChild[] {
  const children: TreeChild[] = [];
  for (const edge of graph.edges) {
    if (edge.kind === "patch" && edge.before === id) children.push({ id: edge.after, edge });
    if (edge.kind !== "patch" && edge.after === id) children.push({ id: edge.before, edge });
  }
  // The Kahn sort's order (code units): locale rules would vary by host.
  return children.sort((left, right) => compareIdentifiers(left.id, right.id));
}

function edgeNote(edge: GraphEdge): string {
  if (edge.rule === undefined) return "";
  if (edge.kind === "plugin") return ` (plugin ${edge.rule})`;
  return ` (rule ${edge.rule})`;
}
