import { describe, expect, test } from "bun:test";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PATCH_SNAPSHOT_INVALID } from "../../src/patch/errors.ts";
import { parsePatchSnapshot, readPatchSnapshot } from "../../src/patch/snapshot.ts";

const DIGEST = `sha256:${"a".repeat(64)}`;

describe("parsePatchSnapshot", () => {
  test("accepts descriptors with null for none", () => {
    const snapshot = { version: 1 as const, descriptors: { "r/p/global": null, "r/p/x": DIGEST }, companions: { "r/ca:1": DIGEST } };
    expect(parsePatchSnapshot(snapshot, { source: "s.json" })).toEqual(snapshot);
  });

  test.each([
    ["a short digest", { version: 1, descriptors: { "r/p": "sha256:abc" }, companions: {} }, "descriptors.r/p"],
    ["an unknown key", { version: 1, descriptors: {}, companions: {}, extra: 1 }, "extra"],
    ["another version", { version: 2, descriptors: {}, companions: {} }, "version"],
  ])("rejects %s", (_name, input, path) => {
    expect(() => parsePatchSnapshot(input, { source: "s.json" })).toThrow(`invalid patch snapshot "s.json": ${path}`);
  });
});

describe("readPatchSnapshot", () => {
  test("names the file when it is not JSON", async () => {
    const file = join(await mkdtemp(join(tmpdir(), "ocx-snapshot-")), "lock.json");
    await writeFile(file, "{ nope");
    const error = await readPatchSnapshot(file).catch((caught) => caught);
    expect(error.code).toBe(PATCH_SNAPSHOT_INVALID);
    expect(error.message).toContain(file);
    expect(error.exitCode).toBe(65);
  });
});
