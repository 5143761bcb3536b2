import { describe, expect, test } from "bun:test";

import { ExitCode, OcxError } from "../../src/error/index.ts";
import { parsePatchDescriptor } from "../../src/patch/descriptor.ts";
import { PATCH_DESCRIPTOR_INVALID } from "../../src/patch/errors.ts";

const source = "corp.example/ocx-patches/global";

function failure(input: unknown): OcxError {
  try {
    parsePatchDescriptor(input, { source });
  } catch (error) {
    if (error instanceof OcxError) return error;
    throw error;
  }
  throw new Error("expected parsePatchDescriptor to throw");
}

describe("parsePatchDescriptor", () => {
  test("defaults required to true", () => {
    const descriptor = parsePatchDescriptor(
      { version: 1, rules: [{ match: "*", packages: ["corp.example/ca:1"] }] },
      { source },
    );
    expect(descriptor).toEqual({
      version: 1,
      rules: [{ match: "*", packages: ["corp.example/ca:1"], required: true }],
    });
  });

  test("keeps required false", () => {
    const descriptor = parsePatchDescriptor(
      { version: 1, rules: [{ match: "21", packages: [], required: false }] },
      { source },
    );
    expect(descriptor.rules[0]?.required).toBe(false);
  });

  test.each([
    ["top-level key", { version: 1, rules: [], note: "x" }, 'note: unknown key "note"'],
    ["misspelt required", { version: 1, rules: [{ match: "*", packages: [], requried: false }] }, 'rules[0].requried: unknown key "requried"'],
  ])("rejects an unknown %s", (_name, input, message) => {
    expect(() => parsePatchDescriptor(input, { source })).toThrow(message);
  });

  test.each([
    ["[abc", "never closed"],
    ["[z-a]", 'range "z-a" is reversed'],
  ])("rejects the pattern %s", (pattern, message) => {
    expect(() => parsePatchDescriptor({ version: 1, rules: [{ match: pattern, packages: [] }] }, { source })).toThrow(message);
  });

  test.each([
    ["null root", null, "descriptor: expected Object, received null"],
    ["version 2", { version: 2, rules: [] }, "version: 2 is not supported: expected 1"],
    ["missing version", { rules: [] }, "version: missing"],
    ["missing rules", { version: 1 }, "rules: missing"],
    ["object rules", { version: 1, rules: {} }, "rules: expected Array, received Object"],
    ["missing match", { version: 1, rules: [{ packages: [] }] }, "rules[0].match: missing"],
    [
      "empty match",
      { version: 1, rules: [{ match: "", packages: [] }] },
      "rules[0].match: the match pattern is empty",
    ],
    [
      "number package",
      { version: 1, rules: [{ match: "*", packages: [3] }] },
      "rules[0].packages[0]: expected string, received 3",
    ],
    [
      "bad package",
      { version: 1, rules: [{ match: "*", packages: ["corp.example/ca:1", "no-registry"] }] },
      'rules[0].packages[1]: invalid reference "no-registry"',
    ],
    [
      "string required",
      { version: 1, rules: [{ match: "*", packages: [], required: "no" }] },
      'rules[0].required: expected boolean, received "no"',
    ],
  ])("rejects %s", (_name, input, field) => {
    const error = failure(input);
    expect(error.message).toContain(`invalid patch descriptor "${source}": ${field}`);
    expect(error.code).toBe(PATCH_DESCRIPTOR_INVALID);
    expect(error.exitCode).toBe(ExitCode.dataError);
    expect(error.hint).toBeDefined();
  });
});
