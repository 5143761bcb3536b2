import { describe, expect, test } from "bun:test";

import { checkTemplate, expandTemplate } from "../../src/package/template.ts";

const context = { installPath: "/store/java", deps: { gcc: "/store/gcc", "my-lib_2": "/store/lib" } };

describe("checkTemplate", () => {
  test.each([
    ["plain text", "/usr/bin", []],
    ["installPath token", "${installPath}/bin", []],
    ["deps token", "${deps.gcc.installPath}/lib", ["gcc"]],
    ["repeated deps token once", "${deps.gcc.installPath}:${deps.gcc.installPath}", ["gcc"]],
    ["literal with $${", "$${installPath}", []],
    ["lone dollar", "$HOME and $ and $$", []],
  ])("accepts %s", (_label, value, depNames) => {
    expect(checkTemplate(value)).toEqual({ ok: true, depNames });
  });

  test.each([
    ["unknown token", "${HOME}/bin", 'unknown token "${HOME}"'],
    ["empty token", "${}", 'unknown token "${}"'],
    ["deps token without installPath", "${deps.gcc}", 'unknown token "${deps.gcc}"'],
    ["deps name with a dot", "${deps.a.b.installPath}", 'unknown token "${deps.a.b.installPath}"'],
    ["unterminated token", "x${installPath", "unterminated token"],
  ])("rejects %s", (_label, value, reason) => {
    const result = checkTemplate(value);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });
});

describe("expandTemplate", () => {
  test.each([
    ["${installPath}/bin", "/store/java/bin"],
    ["${deps.gcc.installPath}/lib:${installPath}", "/store/gcc/lib:/store/java"],
    ["${deps.my-lib_2.installPath}", "/store/lib"],
    ["$${installPath}", "${installPath}"],
    ["a$${b}${installPath}", "a${b}/store/java"],
    ["$$${installPath}", "$${installPath}"],
    ["cost: $5", "cost: $5"],
  ])("expands %s", (value, expected) => {
    expect(expandTemplate(value, context)).toBe(expected);
  });

  test("throws on an unknown token", () => {
    expect(() => expandTemplate("${nope}", context)).toThrow('unknown token "${nope}"');
  });

  test("throws on a missing dependency path", () => {
    expect(() => expandTemplate("${deps.jdk.installPath}", context)).toThrow('dependency "jdk"');
  });
});
