import { describe, expect, test } from "bun:test";

import { isOcxError } from "../../src/error/ocx-error.ts";
import { PACKAGE_METADATA_INVALID } from "../../src/package/errors.ts";
import { type PackageMetadata, parseMetadata } from "../../src/package/metadata.ts";

const source = "ocx.sh/java:21";
const base = { type: "bundle", version: 1 } as const;

function parseError(input: unknown) {
  try {
    parseMetadata(input, { source });
  } catch (error) {
    if (isOcxError(error)) return error;
    throw error;
  }
  throw new Error("parseMetadata accepted invalid metadata");
}

describe("parseMetadata", () => {
  test("fills defaults", () => {
    expect(parseMetadata(base, { source })).toEqual({
      type: "bundle",
      version: 1,
      strip_components: 0,
      env: [],
      dependencies: [],
    });
  });

  test("accepts the documented example", () => {
    const input: PackageMetadata = {
      ...base,
      strip_components: 1,
      env: [
        { key: "PATH", type: "path", value: "${installPath}/bin" },
        { key: "JAVA_HOME", type: "constant", value: "${installPath}" },
        { key: "CC_FLAGS", type: "list", value: "-I${deps.gcc.installPath}/include", separator: " " },
      ],
      dependencies: [{ identifier: "ocx.sh/gcc:13", name: "gcc" }, { identifier: "ocx.sh/make:4" }],
    };
    expect(parseMetadata(input, { source })).toEqual(input);
  });

  test("drops unknown fields", () => {
    const parsed = parseMetadata({ ...base, future: true }, { source });
    expect(parsed).not.toHaveProperty("future");
  });

  test.each([
    ["not an object", null, "metadata", "expected Object"],
    ["unknown type", { ...base, type: "layered" }, "type", 'expected "bundle", got "layered"'],
    ["missing type", { version: 1 }, "type", "required field is missing"],
    ["bad version", { ...base, version: 2 }, "version", "expected 1, got 2"],
    ["version as string", { ...base, version: "1" }, "version", 'got "1"'],
    ["negative strip", { ...base, strip_components: -1 }, "strip_components", "non-negative integer"],
    ["fractional strip", { ...base, strip_components: 1.5 }, "strip_components", "non-negative integer"],
    ["env not an array", { ...base, env: {} }, "env", "expected Array"],
    [
      "env key with a digit first",
      { ...base, env: [{ key: "PATH", type: "path", value: "/x" }, { key: "1A", type: "path", value: "/x" }] },
      "env[1].key",
      "shell variable name",
    ],
    ["relative path entry", { ...base, env: [{ key: "PATH", type: "path", value: "bin" }] }, "env[0].value", "must start with ${installPath}"],
    ["reserved key", { ...base, env: [{ key: "IFS", type: "constant", value: "x" }] }, "env[0].key", "the shell or ocx owns"],
    ["NUL in a value", { ...base, env: [{ key: "A", type: "constant", value: "a\u0000b" }] }, "env[0].value", "NUL byte"],
    ["oversized value", { ...base, env: [{ key: "A", type: "constant", value: "x".repeat(40000) }] }, "env[0].value", "at most 32768"],
    ["env key with a dash", { ...base, env: [{ key: "MY-VAR", type: "constant", value: "x" }] }, "env[0].key", '"MY-VAR"'],
    ["unknown env type", { ...base, env: [{ key: "A", type: "prepend", value: "x" }] }, "env[0].type", '"prepend"'],
    ["missing env value", { ...base, env: [{ key: "A", type: "path" }] }, "env[0].value", "required field is missing"],
    ["unknown token", { ...base, env: [{ key: "A", type: "path", value: "${HOME}/bin" }] }, "env[0].value", 'unknown token "${HOME}"'],
    ["unterminated token", { ...base, env: [{ key: "A", type: "path", value: "${installPath" }] }, "env[0].value", "unterminated token"],
    [
      "undeclared dependency token",
      { ...base, env: [{ key: "A", type: "path", value: "${deps.gcc.installPath}" }] },
      "env[0].value",
      'no dependency declared with name "gcc"',
    ],
    [
      "token naming an unnamed dependency",
      { ...base, env: [{ key: "A", type: "path", value: "${deps.gcc.installPath}" }], dependencies: [{ identifier: "ocx.sh/gcc:13" }] },
      "env[0].value",
      '"gcc"',
    ],
    ["empty separator", { ...base, env: [{ key: "A", type: "list", value: "x", separator: "" }] }, "env[0].separator", "non-empty"],
    ["missing identifier", { ...base, dependencies: [{ name: "gcc" }] }, "dependencies[0].identifier", "required field is missing"],
    ["dependency name with a dot", { ...base, dependencies: [{ identifier: "a:1", name: "g.cc" }] }, "dependencies[0].name", '"g.cc"'],
    [
      "duplicate dependency name",
      { ...base, dependencies: [{ identifier: "a:1", name: "gcc" }, { identifier: "b:1", name: "gcc" }] },
      "dependencies[1].name",
      'duplicate name "gcc"',
    ],
  ])("rejects %s", (_label, input, field, detail) => {
    const error = parseError(input);
    expect(error.code).toBe(PACKAGE_METADATA_INVALID);
    expect(error.exitCode).toBe(65);
    expect(error.message).toContain(`"${source}"`);
    expect(error.message).toContain(`: ${field}: `);
    expect(error.message).toContain(detail);
    expect(error.hint).toBeDefined();
  });

  test("counts further problems", () => {
    const error = parseError({ type: "x", version: 9 });
    expect(error.message).toContain("(and 1 more)");
  });
});
