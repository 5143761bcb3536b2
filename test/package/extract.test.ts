import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, promises as fs } from "node:fs";
import { join } from "node:path";

import { isOcxError, type OcxError } from "../../src/error/ocx-error.ts";
import { MediaType } from "../../src/oci/media-types.ts";
import {
  PACKAGE_ARCHIVE_INVALID,
  PACKAGE_ARCHIVE_TOO_LARGE,
  PACKAGE_ARCHIVE_UNSAFE,
  PACKAGE_LAYER_UNSUPPORTED,
} from "../../src/package/errors.ts";
import { type ExtractOptions, extractLayer } from "../../src/package/extract.ts";
import {
  type FixtureEntry,
  makeTempDir,
  runTar,
  streamOf,
  tarBytes,
  tarGzip,
  treeSize,
} from "./tar-fixtures.ts";

const gzip = MediaType.layerTarGzip;
let work: string;
let target: string;

beforeEach(async () => {
  work = await makeTempDir("extract");
  target = join(work, "out");
  await fs.mkdir(target);
});

afterEach(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

async function extractEntries(entries: FixtureEntry[], options: Partial<ExtractOptions> = {}) {
  const bytes = await tarGzip(entries);
  return extractLayer(streamOf(bytes), { mediaType: gzip, targetDir: target, ...options });
}

async function extractionError(run: Promise<unknown>): Promise<OcxError> {
  try {
    await run;
  } catch (error) {
    if (isOcxError(error)) return error;
    throw error;
  }
  throw new Error("extraction succeeded but was expected to fail");
}

const ok: FixtureEntry = { name: "bin/ok", content: "ok" };

describe("extractLayer path traversal", () => {
  test.each([
    ["parent escape", "../evil1.txt", 0],
    ["nested parent escape", "a/../../evil3.txt", 0],
    ["escape after strip", "pkg/../escape.txt", 1],
    ["deeper escape after strip", "pkg/../../escape2.txt", 1],
    ["backslash separators", "bin\\..\\..\\evil5.txt", 0],
  ])("rejects %s", async (_label, name, strip) => {
    const okEntry = strip === 0 ? ok : { name: "pkg/bin/ok", content: "ok" };
    const error = await extractionError(
      extractEntries([okEntry, { name, content: "evil" }], { stripComponents: strip }),
    );

    expect(error.code).toBe(PACKAGE_ARCHIVE_UNSAFE);
    expect(error.exitCode).toBe(65);
    expect(error.message).toContain(`"${name}"`);
    for (const file of ["evil1.txt", "evil3.txt", "escape.txt", "escape2.txt", "evil5.txt"]) {
      expect(existsSync(join(work, file))).toBe(false);
    }
  });

  test("rejects an absolute path", async () => {
    const victim = join(work, "abs-evil.txt");
    const error = await extractionError(extractEntries([ok, { name: victim, content: "evil" }]));

    expect(error.code).toBe(PACKAGE_ARCHIVE_UNSAFE);
    expect(error.message).toContain(`"${victim}"`);
    expect(existsSync(victim)).toBe(false);
  });

  test("normalises a path that stays inside", async () => {
    await extractEntries([{ name: "a/./b/../c.txt", content: "c" }]);

    expect(await fs.readFile(join(target, "a/c.txt"), "utf8")).toBe("c");
    expect(existsSync(join(target, "a/b"))).toBe(false);
  });

  test("strips leading components", async () => {
    const result = await extractEntries(
      [
        { name: "pkg/", type: "directory" },
        { name: "pkg/bin/ok", content: "ok" },
        { name: "README", content: "skipped" },
      ],
      { stripComponents: 1 },
    );

    expect(await fs.readFile(join(target, "bin/ok"), "utf8")).toBe("ok");
    expect(await fs.readdir(target)).toEqual(["bin"]);
    expect(result).toEqual({ entries: 1, bytes: 9 });
  });
});

describe("extractLayer hardlinks", () => {
  let victim: string;

  beforeEach(async () => {
    victim = join(work, "victim.txt");
    await fs.writeFile(victim, "SECRET\n");
  });

  async function expectVictimIntact() {
    expect(await fs.readFile(victim, "utf8")).toBe("SECRET\n");
    expect((await fs.stat(victim)).nlink).toBe(1);
  }

  test("rejects an absolute target", async () => {
    const error = await extractionError(
      extractEntries([{ name: "payload", type: "link", linkname: victim }]),
    );

    expect(error.code).toBe(PACKAGE_ARCHIVE_UNSAFE);
    expect(error.message).toContain('"payload"');
    await expectVictimIntact();
  });

  test("rejects a relative target outside", async () => {
    const error = await extractionError(
      extractEntries([{ name: "a/b/c/payload", type: "link", linkname: "../../../../victim.txt" }]),
    );

    expect(error.code).toBe(PACKAGE_ARCHIVE_UNSAFE);
    expect(error.message).toContain('"a/b/c/payload"');
    await expectVictimIntact();
  });

  test("rejects a target not extracted", async () => {
    const project = join(work, "project");
    await fs.mkdir(project);
    await fs.writeFile(join(project, "Cargo.toml"), "[package]\n");
    const previous = process.cwd();
    process.chdir(project);
    try {
      const error = await extractionError(
        extractEntries([{ name: "payload", type: "link", linkname: "Cargo.toml" }]),
      );
      expect(error.code).toBe(PACKAGE_ARCHIVE_UNSAFE);
      expect(error.message).toContain("not a file extracted earlier");
    } finally {
      process.chdir(previous);
    }
    expect((await fs.stat(join(project, "Cargo.toml"))).nlink).toBe(1);
  });

  test("rejects before a later file overwrites", async () => {
    const error = await extractionError(
      extractEntries([
        { name: "payload", type: "link", linkname: victim },
        { name: "payload", content: "PWNED" },
      ]),
    );

    expect(error.code).toBe(PACKAGE_ARCHIVE_UNSAFE);
    await expectVictimIntact();
  });

  test("links a file extracted earlier", async () => {
    await extractEntries([
      { name: "bin/a", content: "A" },
      { name: "bin/b", type: "link", linkname: "bin/a" },
    ]);

    expect(await fs.readFile(join(target, "bin/b"), "utf8")).toBe("A");
  });

  test("strips the link target like the name", async () => {
    await extractEntries(
      [
        { name: "pkg/bin/a", content: "A" },
        { name: "pkg/bin/b", type: "link", linkname: "pkg/bin/a" },
      ],
      { stripComponents: 1 },
    );

    expect(await fs.readFile(join(target, "bin/b"), "utf8")).toBe("A");
  });

  test("rejects a link to a symlink", async () => {
    const error = await extractionError(
      extractEntries([
        { name: "s", type: "symlink", linkname: "bin/a" },
        { name: "h", type: "link", linkname: "s" },
      ]),
    );

    expect(error.code).toBe(PACKAGE_ARCHIVE_UNSAFE);
  });
});

describe("extractLayer long names", () => {
  const longName = `${"dir-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/".repeat(4)}file-with-a-long-name.txt`;
  const unicodeName = `ü日本-${"u".repeat(120 - Buffer.byteLength("ü日本-"))}`;

  async function buildWithTar(format: string, extraArgs: string[], content: string) {
    const source = join(work, "src");
    await fs.mkdir(join(source, longName, ".."), { recursive: true });
    await fs.writeFile(join(source, longName), content);
    await fs.writeFile(join(source, unicodeName), "unicode");
    await fs.symlink(longName, join(source, "short"));
    const archive = join(work, "layer.tar");
    runTar([`--format=${format}`, ...extraArgs, "-cf", archive, "dir-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", unicodeName, "short"], source);
    return fs.readFile(archive);
  }

  test.each([
    ["GNU longlink", "gnu", []],
    ["PAX", "posix", []],
    ["PAX with a global header", "posix", ["--pax-option=comment=global-note"]],
  ])("restores names from %s records", async (_label, format, extraArgs) => {
    const bytes = await buildWithTar(format, extraArgs, format);
    await extractLayer(streamOf(bytes), { mediaType: MediaType.layerTar, targetDir: target });

    const names = await fs.readdir(target, { recursive: true });
    expect(names.filter((name) => /LongLink|PaxHeader|GlobalHead|(^|\/)@/.test(name))).toEqual([]);
    expect(await fs.readFile(join(target, longName), "utf8")).toBe(format);
    expect(await fs.readlink(join(target, "short"))).toBe(longName);
    expect(await fs.readFile(join(target, unicodeName), "utf8")).toBe("unicode");
    expect(Buffer.byteLength(unicodeName)).toBe(120);
  });
});

describe("extractLayer modes", () => {
  const entries: FixtureEntry[] = [
    { name: "lib/", type: "directory", mode: 0o755 },
    { name: "bin/tool", mode: 0o755, content: "#!/bin/sh\necho tool-ok\n" },
    { name: "bin/helper", mode: 0o700, content: "#!/bin/sh\n" },
    { name: "share/doc.txt", mode: 0o644, content: "doc" },
    { name: "bin/suid", mode: 0o4755, content: "#!/bin/sh\n" },
  ];

  async function modeOf(path: string): Promise<number> {
    return (await fs.stat(join(target, path))).mode & 0o7777;
  }

  test.each([0o077, 0o022, 0])("keeps tar modes under umask %o", async (umask) => {
    const previous = process.umask(umask);
    try {
      await extractEntries(entries);
    } finally {
      process.umask(previous);
    }

    expect(await modeOf("bin/tool")).toBe(0o755);
    expect(await modeOf("bin/helper")).toBe(0o700);
    expect(await modeOf("share/doc.txt")).toBe(0o644);
    expect(await modeOf("lib")).toBe(0o755);
    expect(await modeOf("bin")).toBe(0o755);
  });

  test("drops setuid bits", async () => {
    await extractEntries(entries);

    expect(await modeOf("bin/suid")).toBe(0o755);
  });

  test("extracts runnable tools", async () => {
    await extractEntries(entries);
    const result = Bun.spawnSync([join(target, "bin/tool")]);

    expect(result.stdout.toString()).toBe("tool-ok\n");
    expect(result.exitCode).toBe(0);
  });
});

describe("extractLayer limits", () => {
  const limit = 1024 * 1024;

  test("stops a decompression bomb at the byte limit", async () => {
    const bomb = await tarGzip([{ name: "big.bin", content: new Uint8Array(8 * limit) }]);
    expect(bomb.byteLength).toBeLessThan(limit);

    const error = await extractionError(
      extractLayer(streamOf(bomb), { mediaType: gzip, targetDir: target, maxBytes: limit }),
    );

    expect(error.code).toBe(PACKAGE_ARCHIVE_TOO_LARGE);
    expect(error.message).toContain("1048576 bytes (1 MiB)");
    expect(await treeSize(target)).toBeLessThanOrEqual(limit);
  });

  test("stops endless zero blocks after the archive", async () => {
    const archive = await tarBytes([ok]);
    const padded = Bun.gzipSync(Buffer.concat([archive, new Uint8Array(40 * limit)]));

    const error = await extractionError(
      extractLayer(streamOf(padded), { mediaType: gzip, targetDir: target, maxBytes: limit }),
    );

    expect(error.code).toBe(PACKAGE_ARCHIVE_TOO_LARGE);
    expect(error.message).toContain("of tar data");
  });

  test("stops at the entry limit", async () => {
    const entries = ["a", "b", "c", "d"].map((name) => ({ name, content: name }));
    const error = await extractionError(extractEntries(entries, { maxEntries: 3 }));

    expect(error.code).toBe(PACKAGE_ARCHIVE_TOO_LARGE);
    expect(error.message).toContain("limit of 3 entries");
  });

  test("accepts content exactly at the limit", async () => {
    const result = await extractEntries([{ name: "f", content: new Uint8Array(limit) }], { maxBytes: limit });

    expect(result.bytes).toBe(limit);
  });
});

describe("extractLayer formats", () => {
  test("reads zstd layers", async () => {
    const bytes = Bun.zstdCompressSync(await tarBytes([ok]));
    await extractLayer(streamOf(bytes), { mediaType: MediaType.layerTarZstd, targetDir: target });

    expect(await fs.readFile(join(target, "bin/ok"), "utf8")).toBe("ok");
  });

  test("reads uncompressed layers", async () => {
    const bytes = await tarBytes([ok]);
    await extractLayer(streamOf(bytes), { mediaType: MediaType.layerTar, targetDir: target });

    expect(await fs.readFile(join(target, "bin/ok"), "utf8")).toBe("ok");
  });

  test("rejects xz layers", async () => {
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({ cancel: () => void (cancelled = true) });
    const mediaType = "application/vnd.oci.image.layer.v1.tar+xz";
    const error = await extractionError(extractLayer(stream, { mediaType, targetDir: target }));

    expect(error.code).toBe(PACKAGE_LAYER_UNSUPPORTED);
    expect(error.message).toContain(`"${mediaType}"`);
    expect(cancelled).toBe(true);
  });

  test("rejects corrupt gzip", async () => {
    const bytes = await tarGzip([ok]);
    bytes.fill(7, 20, 60);
    const error = await extractionError(extractLayer(streamOf(bytes), { mediaType: gzip, targetDir: target }));

    expect(error.code).toBe(PACKAGE_ARCHIVE_INVALID);
  });

  test("rejects a truncated tar", async () => {
    const bytes = (await tarBytes([{ name: "f", content: new Uint8Array(4096) }])).slice(0, 2048);
    const error = await extractionError(
      extractLayer(streamOf(bytes), { mediaType: MediaType.layerTar, targetDir: target }),
    );

    expect(error.code).toBe(PACKAGE_ARCHIVE_INVALID);
  });

  test.each(["fifo", "character-device"] as const)("rejects %s entries", async (type) => {
    const error = await extractionError(extractEntries([{ name: "dev/x", type }]));

    expect(error.code).toBe(PACKAGE_ARCHIVE_UNSAFE);
    expect(error.message).toContain('"dev/x"');
  });

  test("cancels the source on a rejected entry", async () => {
    const head = await tarBytes([{ name: "../evil", content: "x" }]);
    const { promise: cancelled, resolve } = Promise.withResolvers<void>();
    let sent = false;
    // After the first chunk the body stalls, like a hung download.
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent) return new Promise<void>(() => {});
        controller.enqueue(head.slice(0, 1024));
        sent = true;
      },
      cancel: () => resolve(),
    });

    const error = await extractionError(
      extractLayer(stream, { mediaType: MediaType.layerTar, targetDir: target }),
    );

    expect(error.code).toBe(PACKAGE_ARCHIVE_UNSAFE);
    await cancelled;
  });
});
