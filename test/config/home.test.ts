import { describe, expect, test } from "bun:test";
import { resolveHome } from "../../src/config/home.ts";

describe("resolveHome", () => {
  test("defaults to ~/.ocx", () => {
    expect(resolveHome({ HOME: "/home/u" })).toBe("/home/u/.ocx");
  });

  test("expands a leading tilde", () => {
    expect(resolveHome({ HOME: "/home/u", OCX_HOME: "~/ocx-store" })).toBe("/home/u/ocx-store");
  });

  test.each(["$HOME/ocx", "${HOME}/ocx"])("rejects the unexpanded variable %s", (value) => {
    expect(() => resolveHome({ HOME: "/home/u", OCX_HOME: value })).toThrow(/variables are not expanded/);
  });

  test("rejects a relative path", () => {
    expect(() => resolveHome({ HOME: "/home/u", OCX_HOME: "store" })).toThrow(/must be absolute/);
  });
});
