import { describe, expect, test } from "bun:test";

import { ExitCode } from "../../src/error/index.ts";
import { formatCycle, GRAPH_CYCLE, PackageGraph } from "../../src/graph/graph.ts";

function graphOf(nodes: string[]): PackageGraph {
  const graph = new PackageGraph();
  for (const node of nodes) graph.addNode(node);
  return graph;
}

describe("PackageGraph", () => {
  test("applies dependency before dependent", () => {
    const graph = graphOf(["r/a:1", "r/b:1", "r/dep:1"]);
    graph.addEdge({ from: "r/a:1", to: "r/dep:1", kind: "dependency" });
    expect(graph.order()).toEqual({ ok: true, order: ["r/b:1", "r/dep:1", "r/a:1"] });
  });

  test("applies base before companion", () => {
    // The companion sorts first by name but must come after both bases.
    const graph = graphOf(["r/corp/ca:1", "r/team/jdk17:1", "r/team/jdk21:1"]);
    graph.addEdge({ from: "r/corp/ca:1", to: "r/team/jdk17:1", kind: "patch" });
    graph.addEdge({ from: "r/corp/ca:1", to: "r/team/jdk21:1", kind: "patch" });
    expect(graph.order()).toEqual({
      ok: true,
      order: ["r/team/jdk17:1", "r/team/jdk21:1", "r/corp/ca:1"],
    });
  });

  test("applies plugin before as given", () => {
    const graph = graphOf(["a", "b"]);
    graph.addPluginEdge({ before: "b", after: "a" });
    expect(graph.order()).toEqual({ ok: true, order: ["b", "a"] });
  });

  test("rejects edge to unknown node", () => {
    const graph = graphOf(["a"]);
    expect(() => graph.addEdge({ from: "a", to: "b", kind: "dependency" })).toThrow(
      'unknown node "b"',
    );
  });

  test("keeps repeated edge once", () => {
    const graph = graphOf(["a", "b"]);
    graph.addEdge({ from: "a", to: "b", kind: "dependency" });
    graph.addEdge({ from: "a", to: "b", kind: "dependency" });
    expect(graph.edges()).toHaveLength(1);
  });

  test("lists tree children with kinds", () => {
    const graph = graphOf(["app", "lib", "ca", "tool"]);
    graph.addEdge({ from: "app", to: "lib", kind: "dependency" });
    graph.addEdge({ from: "ca", to: "app", kind: "patch" });
    graph.addPluginEdge({ before: "tool", after: "app" });
    expect(graph.children("app")).toEqual([
      { id: "lib", kind: "dependency" },
      { id: "ca", kind: "patch" },
      { id: "tool", kind: "plugin" },
    ]);
  });

  test("returns cycle along edges", () => {
    const graph = graphOf(["a", "b", "c"]);
    graph.addEdge({ from: "a", to: "b", kind: "dependency" });
    graph.addEdge({ from: "b", to: "c", kind: "patch" });
    graph.addEdge({ from: "c", to: "a", kind: "plugin" });
    const result = graph.order();
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.cycle).toEqual(["a", "b", "c", "a"]);
  });

  test("cycle error names path", () => {
    const graph = graphOf(["a", "b"]);
    graph.addEdge({ from: "a", to: "b", kind: "dependency" });
    graph.addEdge({ from: "b", to: "a", kind: "dependency" });
    const result = graph.order();
    if (result.ok) throw new Error("expected a cycle");
    expect(result.error.message).toBe("failed to order packages: cycle a -> b -> a");
    expect(result.error.code).toBe(GRAPH_CYCLE);
    expect(result.error.exitCode).toBe(ExitCode.dataError);
    expect(result.error.hint).toBeDefined();
  });
});

describe("formatCycle", () => {
  test("joins with arrows", () => {
    expect(formatCycle(["a", "b", "c", "a"])).toBe("a -> b -> c -> a");
  });
});
