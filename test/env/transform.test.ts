import { describe, expect, test } from "bun:test";

import { composeEnv, type ComposeInput } from "../../src/env/compose.ts";
import { ENV_TRANSFORM_INVALID } from "../../src/env/errors.ts";
import { applyTransform } from "../../src/env/transform.ts";
import { ExitCode, OcxError } from "../../src/error/index.ts";

const java: ComposeInput = {
  id: "r/java:21",
  role: "package",
  entries: [{ key: "JAVA_HOME", type: "constant", value: "/jdk" }],
};
const composed = composeEnv([java], { HOME: "/h", LANG: "C" });

describe("applyTransform", () => {
  test("sets value and records plugin", () => {
    const result = applyTransform(composed, "corp", { JAVA_TOOL_OPTIONS: "-Dx=1" });
    expect(result.env.JAVA_TOOL_OPTIONS).toBe("-Dx=1");
    expect(result.changed).toEqual(["JAVA_HOME", "JAVA_TOOL_OPTIONS"]);
    expect(result.origins.JAVA_TOOL_OPTIONS).toEqual([
      { id: "corp", role: "plugin", action: "set", value: "-Dx=1" },
    ]);
  });

  test("appends plugin after package origin", () => {
    const result = applyTransform(composed, "corp", { JAVA_HOME: "/other" });
    expect(result.origins.JAVA_HOME).toEqual([
      { id: "r/java:21", role: "package", action: "set", value: "/jdk" },
      { id: "corp", role: "plugin", action: "set", value: "/other", previous: "/jdk" },
    ]);
  });

  test("unsets caller variable", () => {
    const result = applyTransform(composed, "corp", { LANG: undefined });
    expect(Object.hasOwn(result.env, "LANG")).toBe(false);
    expect(result.unset).toEqual(["LANG"]);
    expect(result.origins.LANG).toEqual([{ id: "corp", role: "plugin", action: "unset", previous: "C" }]);
  });

  test("unset removes key from changed", () => {
    const result = applyTransform(composed, "corp", { JAVA_HOME: undefined });
    expect(result.changed).toEqual([]);
    expect(result.unset).toEqual(["JAVA_HOME"]);
  });

  test("set after unset clears unset", () => {
    const removed = applyTransform(composed, "a", { LANG: undefined });
    const restored = applyTransform(removed, "b", { LANG: "C.UTF-8" });
    expect(restored.unset).toEqual([]);
    expect(restored.changed).toContain("LANG");
  });

  test("ignores unchanged value", () => {
    const result = applyTransform(composed, "corp", { HOME: "/h", MISSING: undefined });
    expect(result).toEqual(composed);
  });

  test("leaves input untouched", () => {
    const snapshot = structuredClone(composed);
    applyTransform(composed, "corp", { JAVA_HOME: "/x", HOME: undefined });
    expect(composed).toEqual(snapshot);
  });

  test("rejects non-string value", () => {
    const changes = { COUNT: 3 } as unknown as Record<string, string>;
    let error: unknown;
    try {
      applyTransform(composed, "corp", changes);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(OcxError);
    expect((error as OcxError).message).toBe(
      'invalid environment change from plugin "corp": COUNT is number, expected a string or undefined',
    );
    expect((error as OcxError).code).toBe(ENV_TRANSFORM_INVALID);
    expect((error as OcxError).exitCode).toBe(ExitCode.dataError);
  });
});
