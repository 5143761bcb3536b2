import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { tarGzip, type FixtureEntry } from "../package/tar-fixtures.ts";
import { Sandbox } from "./harness.ts";
import { pushRawPackage } from "./raw-push.ts";

let registry: TestRegistry;
const metadata = { type: "bundle", version: 1, env: [] };

beforeAll(async () => {
  registry = await startRegistry();
});

afterAll(async () => {
  await registry?.stop();
});

async function objectCount(sandbox: Sandbox): Promise<number> {
  try {
    return (await readdir(join(sandbox.home, "objects", "sha256"))).length;
  } catch {
    return 0;
  }
}

describe("unsafe layers", () => {
  test.each<[string, FixtureEntry[]]>([
    ["dot-dot entry", [{ name: "../evil.txt", content: "x" }]],
    ["absolute entry", [{ name: "/tmp/ocx-abs-evil.txt", content: "x" }]],
    ["symlink out of the package", [{ name: "link", type: "symlink", linkname: "../../../../.." }, { name: "link/evil.txt", content: "x" }]],
    ["hardlink to a host file", [{ name: "payload", type: "link", linkname: "/etc/passwd" }]],
  ])("rejects a %s and writes nothing", async (name, entries) => {
    const sandbox = await Sandbox.create();
    const repository = `${registry.host}/team/unsafe-${name.replace(/[^a-z]+/g, "-")}:1`;
    await pushRawPackage(repository, { metadata, layer: await tarGzip([{ name: "bin/ok", content: "ok" }, ...entries]) });

    const result = await sandbox.run(["install", repository]);

    expect(result.stderr).toContain("PACKAGE_ARCHIVE_UNSAFE");
    expect(result.exitCode).toBe(65);
    expect(await objectCount(sandbox)).toBe(0);
    expect(existsSync(join(sandbox.home, "evil.txt"))).toBe(false);
    expect(existsSync("/tmp/ocx-abs-evil.txt")).toBe(false);
    expect(await readdir(join(sandbox.home, "tmp"))).toEqual([]);
    await sandbox.cleanup();
  });

  test("escape after strip_components is rejected", async () => {
    const sandbox = await Sandbox.create();
    const reference = `${registry.host}/team/strip-escape:1`;
    const layer = await tarGzip([
      { name: "pkg/bin/ok", content: "ok" },
      { name: "pkg/../escape.txt", content: "x" },
    ]);
    await pushRawPackage(reference, { metadata: { ...metadata, strip_components: 1 }, layer });
    const result = await sandbox.run(["install", reference]);
    expect(result.stderr).toContain("escape.txt");
    expect(result.exitCode).toBe(65);
    expect(await objectCount(sandbox)).toBe(0);
    await sandbox.cleanup();
  });
});

describe("digest verification", () => {
  test("a tampered blob in the registry is refused", async () => {
    const sandbox = await Sandbox.create();
    const reference = `${registry.host}/team/tampered:1`;
    const { layerDigest } = await pushRawPackage(reference, {
      metadata,
      layer: await tarGzip([{ name: "bin/ok", content: "original" }]),
    });
    // Corrupt the stored blob behind the registry's back, keeping its size.
    const hex = layerDigest.slice("sha256:".length);
    const blob = join(registry.storage, "docker/registry/v2/blobs/sha256", hex.slice(0, 2), hex, "data");
    const bytes = await readFile(blob);
    bytes[bytes.length - 5]! ^= 0xff;
    await writeFile(blob, bytes);

    const result = await sandbox.run(["install", reference]);

    expect(result.stderr).toContain("OCI_DIGEST_MISMATCH");
    expect(result.exitCode).not.toBe(0);
    expect(await objectCount(sandbox)).toBe(0);
    await sandbox.cleanup();
  });
});

describe("damaged store", () => {
  test("a corrupt metadata.json is reported, not a crash", async () => {
    const sandbox = await Sandbox.create();
    const reference = `${registry.host}/team/corrupt:1`;
    await pushRawPackage(reference, { metadata, layer: await tarGzip([{ name: "bin/ok", content: "ok" }]) });
    await sandbox.ok(["install", reference]);
    const [object] = await readdir(join(sandbox.home, "objects", "sha256"));
    await writeFile(join(sandbox.home, "objects", "sha256", object!, "metadata.json"), "{ not json");
    const result = await sandbox.run(["env", "--offline", reference]);
    expect(result.stderr).toContain("STORE_CORRUPT");
    expect(result.stderr).not.toContain("internal error");
    expect(result.exitCode).toBe(65);
    await sandbox.cleanup();
  });
});

describe("file modes", () => {
  test("exec bits survive under umask 077", async () => {
    const sandbox = await Sandbox.create();
    const reference = `${registry.host}/team/modes:1`;
    await pushRawPackage(reference, {
      metadata,
      layer: await tarGzip([
        { name: "bin/tool", content: "#!/bin/sh\necho tool-ok\n", mode: 0o755 },
        { name: "bin/helper", content: "#!/bin/sh\n", mode: 0o700 },
        { name: "share/doc.txt", content: "doc", mode: 0o644 },
      ]),
    });
    const result = Bun.spawnSync(["sh", "-c", `umask 077; exec "$0" install "$1"`, join(import.meta.dir, "../../dist/ocx"), reference], {
      env: sandbox.env(),
    });
    expect(result.exitCode).toBe(0);
    const content = join(sandbox.home, "installs", registry.host.replace(":", "_"), "team/modes/candidates/1/content");
    expect((await stat(join(content, "bin/tool"))).mode & 0o100).toBe(0o100);
    expect((await stat(join(content, "bin/helper"))).mode & 0o100).toBe(0o100);
    expect((await stat(join(content, "share/doc.txt"))).mode & 0o111).toBe(0);
    const run = await sandbox.run(["exec", reference, "--", "sh", "-c", '"$0"/bin/tool', content]);
    expect(run.stdout).toBe("tool-ok\n");
    await sandbox.cleanup();
  });
});
