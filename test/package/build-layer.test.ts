import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, promises as fs } from "node:fs";
import { join } from "node:path";

import { isOcxError } from "../../src/error/ocx-error.ts";
import { MediaType } from "../../src/oci/media-types.ts";
import { buildLayer } from "../../src/package/build-layer.ts";
import { PACKAGE_LAYER_SOURCE_INVALID } from "../../src/package/errors.ts";
import { extractLayer } from "../../src/package/extract.ts";
import { makeTempDir } from "./tar-fixtures.ts";

let work: string;
let source: string;

beforeEach(async () => {
  work = await makeTempDir("build");
  source = join(work, "src");
  await fs.mkdir(join(source, "bin"), { recursive: true });
  await fs.mkdir(join(source, "share/doc/deep"), { recursive: true });
  await fs.writeFile(join(source, "bin/tool"), "#!/bin/sh\necho tool-ok\n", { mode: 0o755 });
  await fs.chmod(join(source, "bin/tool"), 0o755);
  await fs.writeFile(join(source, "share/doc/deep/readme.txt"), "read me");
  await fs.writeFile(join(source, "share/ü日本.txt"), "unicode");
  await fs.symlink("../bin/tool", join(source, "share/tool-link"));
  await fs.writeFile(join(source, "metadata.json"), "{}");
});

afterEach(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

async function listTar(file: string): Promise<string[]> {
  const result = Bun.spawnSync(["tar", "-tvzf", file]);
  return result.stdout.toString().trim().split("\n");
}

describe("buildLayer", () => {
  test("round-trips through extractLayer", async () => {
    const layer = join(work, "layer.tar.gz");
    const target = join(work, "out");
    await fs.mkdir(target);
    await buildLayer(source, layer, { exclude: ["metadata.json"] });
    await extractLayer(Bun.file(layer).stream(), { mediaType: MediaType.layerTarGzip, targetDir: target });

    expect(await fs.readFile(join(target, "bin/tool"), "utf8")).toBe("#!/bin/sh\necho tool-ok\n");
    expect((await fs.stat(join(target, "bin/tool"))).mode & 0o777).toBe(0o755);
    expect(await fs.readlink(join(target, "share/tool-link"))).toBe("../bin/tool");
    expect(await fs.readFile(join(target, "share/doc/deep/readme.txt"), "utf8")).toBe("read me");
    expect(await fs.readFile(join(target, "share/ü日本.txt"), "utf8")).toBe("unicode");
    expect(existsSync(join(target, "metadata.json"))).toBe(false);
  });

  test("gives the same digest twice", async () => {
    const first = await buildLayer(source, join(work, "a.tar.gz"));
    await fs.utimes(join(source, "bin/tool"), new Date(), new Date(1e12));
    const second = await buildLayer(source, join(work, "b.tar.gz"));

    expect(second).toEqual(first);
  });

  test("returns the digest and size of the file", async () => {
    const layer = join(work, "layer.tar.gz");
    const result = await buildLayer(source, layer);
    const bytes = await Bun.file(layer).bytes();

    expect(result.size).toBe(bytes.byteLength);
    expect(result.digest).toBe(`sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}`);
  });

  test("writes sorted entries with zero times and owners", async () => {
    const layer = join(work, "layer.tar.gz");
    await buildLayer(source, layer, { exclude: ["metadata.json"] });
    const lines = await listTar(layer);
    const names = lines.map((line) => line.split(/\s+/)[5]);

    expect(names).toEqual([
      "bin/",
      "bin/tool",
      "share/",
      "share/doc/",
      "share/doc/deep/",
      "share/doc/deep/readme.txt",
      "share/tool-link",
      "share/ü日本.txt",
    ]);
    for (const line of lines) expect(line).toContain(" 0/0 ");
    for (const line of lines) expect(line).toContain("1970-01-01 00:00");
  });

  test("skips an excluded directory with its contents", async () => {
    const layer = join(work, "layer.tar.gz");
    await buildLayer(source, layer, { exclude: ["share/doc"] });
    const lines = await listTar(layer);

    expect(lines.some((line) => line.includes("share/doc"))).toBe(false);
  });

  test("rejects a FIFO in the tree", async () => {
    Bun.spawnSync(["mkfifo", join(source, "pipe")]);
    let code: string | undefined;
    try {
      await buildLayer(source, join(work, "layer.tar.gz"));
    } catch (error) {
      if (isOcxError(error)) code = error.code;
    }

    expect(code).toBe(PACKAGE_LAYER_SOURCE_INVALID);
    expect(existsSync(join(work, "layer.tar.gz"))).toBe(false);
  });
});
