import { describe, expect, test } from "bun:test";
import { mkdir, mkdtemp, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { changedSince, watchedPaths, writeStamp } from "../../src/shell/watch.ts";

async function home(): Promise<string> {
  return mkdtemp(join(tmpdir(), "ocx-watch-"));
}

describe("watchedPaths", () => {
  test("uses the nearest existing folder for missing files", async () => {
    const root = await home();
    const paths = watchedPaths({
      home: root,
      env: { OCX_SYSTEM_CONFIG: join(root, "etc", "ocx", "config.toml") },
      projectFile: undefined,
      binary: join(root, "bin", "ocx"),
    });
    expect(paths).toEqual([root]);
  });

  test("watches an existing config file and its folder", async () => {
    const root = await home();
    await writeFile(join(root, "config.toml"), "");
    const paths = watchedPaths({ home: root, env: { OCX_SYSTEM_CONFIG: join(root, "none") }, projectFile: undefined, binary: root });
    expect(paths).toContain(join(root, "config.toml"));
    expect(paths).toContain(root);
  });

  test("watches the project file itself", async () => {
    const root = await home();
    const project = join(root, "p", "ocx.toml");
    await mkdir(join(root, "p"));
    await writeFile(project, "");
    const paths = watchedPaths({ home: root, env: {}, projectFile: project, binary: root });
    expect(paths).toContain(project);
    expect(paths).not.toContain(join(root, "p"));
  });
});

describe("writeStamp", () => {
  test("stamps just past the newest mtime", async () => {
    const root = await home();
    const file = join(root, "a");
    await writeFile(file, "");
    await utimes(file, 1_700_000_000.5, 1_700_000_000.5);
    const watch = writeStamp({ home: root, files: [file] });
    const stampTime = (await stat(watch.stamp!, { bigint: true })).mtimeNs;
    const fileTime = (await stat(file, { bigint: true })).mtimeNs;
    expect(stampTime > fileTime).toBe(true);
    expect(stampTime - fileTime < 10_000n).toBe(true);
  });

  test("reports no change right after stamping", async () => {
    const root = await home();
    const file = join(root, "a");
    await writeFile(file, "");
    expect(changedSince(writeStamp({ home: root, files: [file] }))).toBeUndefined();
  });

  test("names a file written after the stamp", async () => {
    const root = await home();
    const file = join(root, "a");
    await writeFile(file, "");
    await utimes(file, 1_700_000_000, 1_700_000_000);
    const watch = writeStamp({ home: root, files: [file] });
    await utimes(file, 1_700_000_001, 1_700_000_001);
    expect(changedSince(watch)).toBe(file);
  });

  test("falls back to the temporary folder for a read-only home", async () => {
    const watch = writeStamp({ home: "/proc/ocx-not-writable", files: [] });
    expect(watch.stamp?.startsWith(tmpdir())).toBe(true);
  });
});
