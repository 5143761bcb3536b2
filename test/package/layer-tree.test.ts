import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, promises as fs } from "node:fs";
import { join } from "node:path";

import { isOcxError, type OcxError } from "../../src/error/ocx-error.ts";
import { PACKAGE_ARCHIVE_INVALID, PACKAGE_ARCHIVE_UNSAFE } from "../../src/package/errors.ts";
import { LayerTree } from "../../src/package/layer-tree.ts";
import { makeTempDir } from "./tar-fixtures.ts";

let work: string;
let root: string;
let tree: LayerTree;

beforeEach(async () => {
  work = await makeTempDir("tree");
  root = join(work, "out");
  await fs.mkdir(root);
  tree = new LayerTree(root);
});

afterEach(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

async function* body(text: string): AsyncGenerator<Uint8Array> {
  yield new TextEncoder().encode(text);
}

function file(path: string, text = path, mode = 0o644) {
  return tree.addFile({ name: path, path, mode }, body(text));
}

function symlink(path: string, target: string) {
  return tree.addSymlink({ name: path, path, mode: 0o777 }, target);
}

async function treeError(run: Promise<unknown>): Promise<OcxError> {
  try {
    await run;
  } catch (error) {
    if (isOcxError(error)) return error;
    throw error;
  }
  throw new Error("the tree accepted an entry it should reject");
}

describe("LayerTree symlinks", () => {
  test("creates symlinks only at finish", async () => {
    await symlink("bin/java", "../jre/bin/java");
    await file("jre/bin/java", "java");

    expect(existsSync(join(root, "bin/java"))).toBe(false);
    await tree.finish();
    expect(await fs.readlink(join(root, "bin/java"))).toBe("../jre/bin/java");
    expect(await fs.readFile(join(root, "bin/java"), "utf8")).toBe("java");
  });

  test("rejects a lexical escape at once", async () => {
    const error = await treeError(symlink("bin/x", "../../outside"));

    expect(error.code).toBe(PACKAGE_ARCHIVE_UNSAFE);
    expect(error.message).toContain('"bin/x"');
  });

  test("rejects an escape through a later symlink", async () => {
    await symlink("x", "d/s/..");
    await symlink("d/s", "..");
    const error = await treeError(tree.finish());

    expect(error.code).toBe(PACKAGE_ARCHIVE_UNSAFE);
    expect(error.message).toContain('"x"');
    expect(existsSync(join(root, "x"))).toBe(false);
  });

  test("rejects an escape through a case-folded name", async () => {
    await symlink("A", ".");
    await symlink("x", "a/..");
    const error = await treeError(tree.finish());

    expect(error.code).toBe(PACKAGE_ARCHIVE_UNSAFE);
  });

  test("rejects a symlink loop", async () => {
    await symlink("a", "b");
    await symlink("b", "a");
    const error = await treeError(tree.finish());

    expect(error.message).toContain("more than 40 symlinks");
  });

  test("rejects a file below a symlink", async () => {
    await symlink("lib", "sub");
    const error = await treeError(file("lib/evil"));

    expect(error.code).toBe(PACKAGE_ARCHIVE_UNSAFE);
    expect(error.message).toContain('parent "lib" is a symlink');
  });

  test("lets a later file replace a symlink", async () => {
    await file("target.txt", "original");
    await symlink("x", "target.txt");
    await file("x", "replacement");
    await tree.finish();

    expect((await fs.lstat(join(root, "x"))).isSymbolicLink()).toBe(false);
    expect(await fs.readFile(join(root, "x"), "utf8")).toBe("replacement");
    expect(await fs.readFile(join(root, "target.txt"), "utf8")).toBe("original");
  });
});

describe("LayerTree entries", () => {
  test("lets a later file replace a file", async () => {
    await file("a", "first");
    await file("a", "second");

    expect(await fs.readFile(join(root, "a"), "utf8")).toBe("second");
  });

  test("keeps a hardlinked copy when its source is replaced", async () => {
    await file("a", "first");
    await tree.addHardlink({ name: "b", path: "b", mode: 0o644 }, "a");
    await file("a", "second");

    expect(await fs.readFile(join(root, "b"), "utf8")).toBe("first");
  });

  test("rejects a file replacing a directory", async () => {
    await tree.addDirectory({ name: "d/", path: "d", mode: 0o755 });
    const error = await treeError(file("d"));

    expect(error.code).toBe(PACKAGE_ARCHIVE_INVALID);
  });

  test("rejects a file below a file", async () => {
    await file("f");
    const error = await treeError(file("f/g"));

    expect(error.code).toBe(PACKAGE_ARCHIVE_INVALID);
    expect(error.message).toContain('parent "f" is a file');
  });

  test("accepts a repeated directory", async () => {
    await tree.addDirectory({ name: "d/", path: "d", mode: 0o700 });
    await file("d/f");
    await tree.addDirectory({ name: "d/", path: "d", mode: 0o750 });
    await tree.finish();

    expect((await fs.stat(join(root, "d"))).mode & 0o777).toBe(0o750);
    expect(existsSync(join(root, "d/f"))).toBe(true);
  });

  test("keeps the owner able to enter directories", async () => {
    await tree.addDirectory({ name: "ro/", path: "ro", mode: 0o555 });
    await tree.finish();

    expect((await fs.stat(join(root, "ro"))).mode & 0o777).toBe(0o755);
  });

  test("rejects a file at the root path", async () => {
    const error = await treeError(tree.addFile({ name: "a/..", path: "", mode: 0o644 }, body("x")));

    expect(error.code).toBe(PACKAGE_ARCHIVE_INVALID);
  });
});
