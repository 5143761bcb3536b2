import { describe, expect, test } from "bun:test";

import { parseReference } from "../../src/oci/reference.ts";
import { companionsFor } from "../../src/patch/companions.ts";
import type { PatchDescriptor } from "../../src/patch/descriptor.ts";

const globalDescriptor: PatchDescriptor = {
  version: 1,
  rules: [{ match: "*", packages: ["corp.example/ca:1"], required: true }],
};

const javaDescriptor: PatchDescriptor = {
  version: 1,
  rules: [
    { match: "21", packages: ["corp.example/truststore:1.0", "corp.example/ca:1"], required: true },
    { match: "2*", packages: ["corp.example/proxy:2"], required: false },
    { match: "17", packages: ["corp.example/legacy:1"], required: true },
    { match: "*", packages: ["corp.example/truststore:1.0"], required: true },
  ],
};

const descriptors = [
  { source: "global", descriptor: globalDescriptor },
  { source: "java", descriptor: javaDescriptor },
];

describe("companionsFor", () => {
  test("joins matching rules in order", () => {
    const companions = companionsFor(descriptors, parseReference("ocx.sh/java:21"));
    expect(companions.map((companion) => companion.reference)).toEqual([
      "corp.example/ca:1",
      "corp.example/truststore:1.0",
      "corp.example/proxy:2",
    ]);
  });

  test("first occurrence keeps rule and source", () => {
    const companions = companionsFor(descriptors, parseReference("ocx.sh/java:21"));
    expect(companions[0]).toEqual({
      reference: "corp.example/ca:1",
      required: true,
      rule: "*",
      source: "global",
    });
  });

  test("keeps optional flag of rule", () => {
    const companions = companionsFor(descriptors, parseReference("ocx.sh/java:21"));
    expect(companions[2]?.required).toBe(false);
  });

  test("later required mention makes companion required", () => {
    const optionalFirst: PatchDescriptor = {
      version: 1,
      rules: [
        { match: "*", packages: ["corp.example/ca:1"], required: false },
        { match: "*", packages: ["corp.example/ca:1"], required: true },
      ],
    };
    const companions = companionsFor(
      [{ source: "s", descriptor: optionalFirst }],
      parseReference("ocx.sh/java:21"),
    );
    expect(companions).toEqual([
      { reference: "corp.example/ca:1", required: true, rule: "*", source: "s" },
    ]);
  });

  test("deduplicates implicit latest tag", () => {
    const descriptor: PatchDescriptor = {
      version: 1,
      rules: [
        { match: "*", packages: ["corp.example/ca", "corp.example/ca:latest"], required: true },
      ],
    };
    const companions = companionsFor([{ source: "s", descriptor }], parseReference("ocx.sh/x:1"));
    expect(companions.map((companion) => companion.reference)).toEqual(["corp.example/ca"]);
  });

  test("untagged reference skips tag rules", () => {
    const reference = parseReference(`ocx.sh/java@sha256:${"0".repeat(64)}`);
    expect(companionsFor(descriptors, reference)).toEqual([]);
  });

  test("returns nothing without descriptors", () => {
    expect(companionsFor([], parseReference("ocx.sh/java:21"))).toEqual([]);
  });
});
