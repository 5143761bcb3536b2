import { describe, expect, test } from "bun:test";
import { composeEnv } from "../../src/env/compose.ts";
import { applyTransform } from "../../src/env/transform.ts";
import type { PackageGraph } from "../../src/resolve/build-graph.ts";
import { explainVariable } from "../../src/resolve/explain-variable.ts";

const graph = {
  roots: ["r/jdk:17"],
  nodes: new Map(),
  edges: [{ before: "r/jdk:17", after: "r/ca:1", kind: "patch", rule: '"*" in r/p/jdk' }],
  order: ["r/jdk:17", "r/ca:1"],
} as unknown as PackageGraph;

const composed = composeEnv(
  [
    { id: "r/jdk:17", role: "package", entries: [{ key: "CERTS", type: "constant", value: "/jdk/cacerts" }] },
    { id: "r/ca:1", role: "companion", patches: ["r/jdk:17"], entries: [{ key: "CERTS", type: "constant", value: "/ca.pem" }] },
  ],
  { CERTS: "/etc/ssl/cert.pem" },
);
const result = applyTransform(composed, "audit", { CERTS: "/ca.pem.audited" });

describe("explainVariable", () => {
  test("lists caller, package, companion and plugin", () => {
    const { steps } = explainVariable("CERTS", { graph, result, base: { CERTS: "/etc/ssl/cert.pem" } });
    expect(steps.map((step) => `${step.kind} ${step.id} ${step.value}`)).toEqual([
      "caller environment /etc/ssl/cert.pem",
      "package r/jdk:17 /jdk/cacerts",
      "companion r/ca:1 /ca.pem",
      "plugin audit /ca.pem.audited",
    ]);
  });

  test("names what each step overrode", () => {
    const { steps } = explainVariable("CERTS", { graph, result, base: { CERTS: "/etc/ssl/cert.pem" } });
    expect(steps.map((step) => step.overrode?.id)).toEqual([undefined, "environment", "r/jdk:17", "r/ca:1"]);
  });

  test("gives a companion's bases and rules", () => {
    const companion = explainVariable("CERTS", { graph, result, base: {} }).steps[1];
    expect(companion).toMatchObject({ patches: ["r/jdk:17"], rules: ['"*" in r/p/jdk'] });
  });

  test("reports an unset variable with no steps", () => {
    expect(explainVariable("NOPE", { graph, result, base: {} })).toEqual({ key: "NOPE", steps: [] });
  });
});
