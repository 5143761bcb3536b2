import { describe, expect, test } from "bun:test";

import {
  ancestorPaths,
  resolveEntryPath,
  resolveSymlinkTarget,
} from "../../src/package/archive-path.ts";

describe("resolveEntryPath", () => {
  test.each([
    ["bin/tool", 0, "bin/tool"],
    ["./bin/tool", 0, "bin/tool"],
    ["bin//tool/", 0, "bin/tool"],
    ["a/./b/../c.txt", 0, "a/c.txt"],
    ["pkg/bin/tool", 1, "bin/tool"],
    ["./pkg/bin/tool", 1, "pkg/bin/tool"],
    ["../pkg/bin", 1, "pkg/bin"],
    ["a/..", 0, ""],
  ])("maps %p with strip %d to %p", (name, strip, path) => {
    expect(resolveEntryPath(name, strip)).toEqual({ ok: true, path });
  });

  test.each([
    ["pkg/", 1],
    ["pkg", 2],
    ["./", 1],
  ])("skips %p with strip %d", (name, strip) => {
    expect(resolveEntryPath(name, strip)).toEqual({ ok: true, path: undefined });
  });

  test.each([
    ["../x", 0, "outside"],
    ["a/../../x", 0, "outside"],
    ["pkg/../x", 1, "outside"],
    ["/etc/passwd", 0, "absolute"],
    ["/pkg/bin", 1, "absolute"],
    ["bin\\..\\x", 0, "backslash"],
    ["a\0b", 0, "NUL"],
  ])("rejects %p with strip %d", (name, strip, reason) => {
    const result = resolveEntryPath(name, strip);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });
});

describe("resolveSymlinkTarget", () => {
  test.each([
    ["lib/libz.so", "libz.so.1", "lib/libz.so.1"],
    ["bin/java", "../jre/bin/java", "jre/bin/java"],
    ["self", ".", ""],
  ])("resolves %p -> %p", (link, target, path) => {
    expect(resolveSymlinkTarget(link, target)).toEqual({ ok: true, path });
  });

  test.each([
    ["bin/x", "../../etc", "outside"],
    ["x", "/etc/passwd", "absolute"],
    ["x", "", "empty"],
    ["x", "a\\b", "backslash"],
  ])("rejects %p -> %p", (link, target, reason) => {
    const result = resolveSymlinkTarget(link, target);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });
});

describe("ancestorPaths", () => {
  test("lists parents root first", () => {
    expect(ancestorPaths("a/b/c")).toEqual(["a", "a/b"]);
  });

  test("is empty for a top-level path", () => {
    expect(ancestorPaths("a")).toEqual([]);
  });
});
