import type { PackageGraph } from "../resolve/build-graph.ts";

export interface NodeSummary {
  identifier: string;
  digest: string;
  role: "root" | "dependency" | "companion";
  installPath: string;
}

/** The nodes of a graph in Kahn order, as printed by install and deps. */
export function describeNodes(graph: PackageGraph): NodeSummary[] {
  return graph.order.map((id) => {
    const node = graph.nodes.get(id)!;
    const role = node.isRoot ? "root" : node.isCompanion ? "companion" : "dependency";
    return { identifier: id, digest: node.package.digest, role, installPath: node.package.contentDir };
  });
}

/** Renders each root as a tree with `[dep]` and `[patch]` markers. */
export function renderTree(graph: PackageGraph): string {
  const lines: string[] = [];
  const visit = (id: string, prefix: string, path: Set<string>) => {
    const children = graph.edges
      .filter((edge) => (edge.kind === "patch" ? edge.before === id : edge.after === id))
      .map((edge) => ({ id: edge.kind === "patch" ? edge.after : edge.before, marker: edge.kind === "patch" ? "[patch]" : edge.kind === "dependency" ? "[dep]" : "[plugin]", rule: edge.rule }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    children.forEach((child, index) => {
      const isLast = index === children.length - 1;
      const rule = child.rule === undefined ? "" : child.marker === "[plugin]" ? ` (plugin ${child.rule})` : ` (rule ${child.rule})`;
      lines.push(`${prefix}${isLast ? "└── " : "├── "}${child.marker} ${child.id}${rule}`);
      if (!path.has(child.id)) visit(child.id, `${prefix}${isLast ? "    " : "│   "}`, new Set([...path, child.id]));
    });
  };
  for (const root of graph.roots) {
    lines.push(root);
    visit(root, "", new Set([root]));
  }
  return `${lines.join("\n")}\n`;
}
