import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import * as tar from "tar-stream";
import { LayoutReader, LayoutWriter, REF_NAME_ANNOTATION } from "../../src/oci/image-layout.ts";
import { packLayout, unpackLayout } from "../../src/oci/layout-tar.ts";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "ocx-layout-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeTar(file: string, entries: Partial<tar.Header>[]): Promise<void> {
  const pack = tar.pack();
  const writing = pipeline(pack, createWriteStream(file));
  for (const header of entries) {
    if (header.type === "symlink") pack.entry(header as tar.Header);
    else pack.entry(header as tar.Header, "x");
  }
  pack.finalize();
  await writing;
}

describe("image layout", () => {
  test("round-trips through a tar", async () => {
    const writer = new LayoutWriter(join(dir, "layout"));
    const digest = await writer.putBytes(new TextEncoder().encode("hello"));
    writer.addEntry({ mediaType: "application/octet-stream", digest, size: 5, annotations: { [REF_NAME_ANNOTATION]: "r/x:1" } });
    await writer.finish();
    await packLayout(join(dir, "layout"), join(dir, "layout.tar"));

    await unpackLayout(join(dir, "layout.tar"), join(dir, "out"));
    const reader = new LayoutReader(join(dir, "out"));
    expect((await reader.readIndex()).manifests[0]!.digest).toBe(digest);
    expect(await reader.checkBlob(digest)).toBe(true);
    expect(await readFile(join(dir, "out", "oci-layout"), "utf8")).toContain("1.0.0");
  });

  test.each([
    ["a path outside the layout", { name: "../evil", size: 1 }],
    ["an unknown file", { name: "blobs/sha256/notahex", size: 1 }],
    ["a symlink", { name: "index.json", type: "symlink" as const, linkname: "/etc/passwd" }],
  ])("unpacking rejects %s", async (_name, header) => {
    const file = join(dir, "bad.tar");
    await writeTar(file, [header]);
    await expect(unpackLayout(file, join(dir, "out"))).rejects.toThrow();
  });

  test("a blob whose bytes do not match its name fails the check", async () => {
    const writer = new LayoutWriter(join(dir, "layout"));
    const digest = await writer.putBytes(new TextEncoder().encode("hello"));
    await writer.finish();
    await Bun.write(join(dir, "layout", "blobs", "sha256", digest.slice(7)), "other");
    expect(await new LayoutReader(join(dir, "layout")).checkBlob(digest)).toBe(false);
  });
});
