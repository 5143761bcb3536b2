import { describe, expect, test } from "bun:test";

import { parseReference } from "../../src/oci/reference.ts";
import { compileGlob, ruleMatches } from "../../src/patch/glob.ts";

const DIGEST = `sha256:${"ab".repeat(32)}`;

describe("compileGlob", () => {
  test.each([
    ["*", "", true],
    ["*", "a/b:c", true],
    ["21", "21", true],
    ["21", "21.0", false],
    ["21*", "21.0.2", true],
    ["?1", "21", true],
    ["?1", "121", false],
    ["[0-9]*", "7-alpine", true],
    ["[0-9]*", "latest", false],
    ["[!0-9]*", "latest", true],
    ["[^0-9]*", "7", false],
    ["[]a]", "]", true],
    ["[a-]", "-", true],
    ["[z-a]", "m", false],
    ["[abc", "[abc", true],
    ["a.b", "axb", false],
    ["a+b", "a+b", true],
    ["(x)", "(x)", true],
    ["\\d", "\\d", true],
    ["localhost:5000/*", "localhost:5000/tools/jq:1.7", true],
    ["*/tools/*:1.*", "localhost:5000/tools/jq:1.7", true],
    ["ü?", "üx", true],
    ["🎉?", "🎉x", true],
    ["a*b*c", "aXbYbZc", true],
    ["a*b*c", "aXbYbZ", false],
    ["**", "", true],
    ["*a", "bba", true],
    ["*a", "ab", false],
    ["a*", "a", true],
    ["?", "", false],
  ])("pattern %p against %p is %p", (pattern, text, expected) => {
    expect(compileGlob(pattern)(text)).toBe(expected);
  });

  test("many stars stay fast", () => {
    // A backtracking regular expression would try every split of the text
    // between the stars here.
    const matches = compileGlob(`${"*a".repeat(30)}*b`);
    expect(matches("a".repeat(300))).toBe(false);
  });
});

describe("ruleMatches", () => {
  const tagged = parseReference("localhost:5000/team/java:21");
  const untagged = parseReference(`localhost:5000/team/java@${DIGEST}`);
  const both = parseReference(`localhost:5000/team/java:21@${DIGEST}`);

  test.each([
    ["21", true],
    ["2?", true],
    ["17", false],
    ["*", true],
    ["localhost:5000/team/*", true],
    ["localhost:5000/*:21", true],
    ["localhost_5000/*", false],
    ["*/java:17", false],
    ["team/java", false],
  ])("tagged reference with %p is %p", (pattern, expected) => {
    expect(ruleMatches(pattern, tagged)).toBe(expected);
  });

  test("tag glob never matches untagged reference", () => {
    expect(ruleMatches("*", untagged)).toBe(false);
  });

  test("identifier glob matches digest form", () => {
    expect(ruleMatches(`localhost:5000/team/java@${DIGEST}`, untagged)).toBe(true);
  });

  test("identifier glob with star spans digest", () => {
    expect(ruleMatches("localhost:5000/team/*", untagged)).toBe(true);
  });

  test("tag and digest reference uses tag", () => {
    expect(ruleMatches("*:21", both)).toBe(true);
  });
});
