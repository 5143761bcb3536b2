import { describe, expect, test } from "bun:test";
import { formatReference, identifierOf, parseReference, tryParseReference } from "../../src/oci/reference.ts";

const DIGEST = `sha256:${"a".repeat(64)}`;

describe("parseReference", () => {
  test.each([
    ["localhost:5000/tools/jq:1.7", { registry: "localhost:5000", repository: "tools/jq", tag: "1.7", digest: undefined }],
    ["ocx.sh/java:21", { registry: "ocx.sh", repository: "java", tag: "21", digest: undefined }],
    ["ocx.sh/java", { registry: "ocx.sh", repository: "java", tag: "latest", digest: undefined }],
    [`ocx.sh/java@${DIGEST}`, { registry: "ocx.sh", repository: "java", tag: undefined, digest: DIGEST }],
    [`ocx.sh/gcc:13@${DIGEST}`, { registry: "ocx.sh", repository: "gcc", tag: "13", digest: DIGEST }],
    ["127.0.0.1:5000/a/b/c:v1.2-rc_3", { registry: "127.0.0.1:5000", repository: "a/b/c", tag: "v1.2-rc_3", digest: undefined }],
    ["localhost/tool:1", { registry: "localhost", repository: "tool", tag: "1", digest: undefined }],
    ["[::1]:5000/tool:1", { registry: "[::1]:5000", repository: "tool", tag: "1", digest: undefined }],
    ["reg.example/a__b/c-d.e:1", { registry: "reg.example", repository: "a__b/c-d.e", tag: "1", digest: undefined }],
  ])("parses %s", (input, expected) => {
    expect(parseReference(input)).toEqual(expected);
  });

  test.each([
    ["", "empty"],
    ["jq", "no registry"],
    ["tools/jq:1.7", "is not a registry host"],
    ["localhost:5000/Tools/jq:1", "lowercase"],
    ["localhost:5000/tools/jq:", "tag"],
    ["localhost:5000/tools/jq@sha256:abc", "digest"],
    ["localhost:5000/:1", "repository"],
    ["localhost:5000/a//b:1", "component"],
    ["localhost:5000/a/b:-x", "tag"],
  ])("rejects %j", (input, reason) => {
    const result = tryParseReference(input);
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.reason).toContain(reason);
  });

  test("throws a usage error with a hint", () => {
    expect(() => parseReference("jq")).toThrow(/invalid reference "jq"/);
  });
});

describe("formatReference", () => {
  test.each(["localhost:5000/tools/jq:1.7", `ocx.sh/java@${DIGEST}`, `ocx.sh/gcc:13@${DIGEST}`])("round-trips %s", (input) => {
    expect(formatReference(parseReference(input))).toBe(input);
  });
});

describe("identifierOf", () => {
  test("prefers the tag", () => {
    expect(identifierOf(parseReference(`ocx.sh/gcc:13@${DIGEST}`))).toBe("ocx.sh/gcc:13");
  });

  test("uses the digest when untagged", () => {
    expect(identifierOf(parseReference(`ocx.sh/gcc@${DIGEST}`))).toBe(`ocx.sh/gcc@${DIGEST}`);
  });
});

describe("registry ports", () => {
  test.each(["localhost:0/a:1", "localhost:99999/a:1"])("rejects %s", (input) => {
    const result = tryParseReference(input);
    expect(result.ok ? "" : result.reason).toContain("between 1 and 65535");
  });
});
