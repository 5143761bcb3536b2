import { describe, expect, test } from "bun:test";

import { topologicalOrder } from "../../src/graph/kahn.ts";

describe("topologicalOrder", () => {
  test("orders independent nodes lexicographically", () => {
    expect(topologicalOrder(["c", "a", "b"], [])).toEqual({ ok: true, order: ["a", "b", "c"] });
  });

  test("uses plain string comparison", () => {
    const result = topologicalOrder(["b", "B", "a", "_"], []);
    expect(result).toEqual({ ok: true, order: ["B", "_", "a", "b"] });
  });

  test("breaks ties among ready nodes", () => {
    // The walk of the PATH-order case: b and dep are ready first, a waits for dep.
    const result = topologicalOrder(["r/a:1", "r/b:1", "r/dep:1"], [
      { before: "r/dep:1", after: "r/a:1" },
    ]);
    expect(result).toEqual({ ok: true, order: ["r/b:1", "r/dep:1", "r/a:1"] });
  });

  test("picks smallest newly ready node", () => {
    const result = topologicalOrder(["z", "m", "a"], [{ before: "z", after: "a" }]);
    expect(result).toEqual({ ok: true, order: ["m", "z", "a"] });
  });

  test("ignores input order", () => {
    const edges = [
      { before: "x", after: "y" },
      { before: "w", after: "y" },
    ];
    const forward = topologicalOrder(["w", "x", "y"], edges);
    const backward = topologicalOrder(["y", "x", "w"], [...edges].reverse());
    expect(backward).toEqual(forward);
  });

  test("adds endpoints missing from nodes", () => {
    expect(topologicalOrder([], [{ before: "b", after: "a" }])).toEqual({
      ok: true,
      order: ["b", "a"],
    });
  });

  test("counts repeated edges once", () => {
    const edge = { before: "a", after: "b" };
    expect(topologicalOrder(["a", "b"], [edge, edge])).toEqual({ ok: true, order: ["a", "b"] });
  });

  test("reports full cycle path", () => {
    const result = topologicalOrder(["a", "b", "c"], [
      { before: "b", after: "c" },
      { before: "c", after: "a" },
      { before: "a", after: "b" },
    ]);
    expect(result).toEqual({ ok: false, cycle: ["a", "b", "c", "a"] });
  });

  test("reports cycle behind acyclic part", () => {
    const result = topologicalOrder(["a", "x", "y", "z"], [
      { before: "a", after: "x" },
      { before: "x", after: "y" },
      { before: "y", after: "x" },
      { before: "y", after: "z" },
    ]);
    expect(result).toEqual({ ok: false, cycle: ["x", "y", "x"] });
  });

  test("skips downstream node when finding cycle", () => {
    // "a" sorts first but only hangs off the cycle, so it is not on the path.
    const result = topologicalOrder(["a", "m", "n"], [
      { before: "m", after: "n" },
      { before: "n", after: "m" },
      { before: "n", after: "a" },
    ]);
    expect(result).toEqual({ ok: false, cycle: ["m", "n", "m"] });
  });

  test("reports self loop", () => {
    expect(topologicalOrder(["a"], [{ before: "a", after: "a" }])).toEqual({
      ok: false,
      cycle: ["a", "a"],
    });
  });

  test("returns empty order for empty graph", () => {
    expect(topologicalOrder([], [])).toEqual({ ok: true, order: [] });
  });
});
