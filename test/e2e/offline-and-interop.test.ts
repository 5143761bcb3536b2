import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { tarGzip } from "../package/tar-fixtures.ts";
import { Sandbox, toolPackage } from "./harness.ts";

let registry: TestRegistry;
let publisher: Sandbox;
let reg: string;

beforeAll(async () => {
  registry = await startRegistry();
  reg = registry.host;
  publisher = await Sandbox.create();
  await publisher.writeUserConfig(`[patches]\nregistry = "${reg}/ocx-patches"\n`);
  await publisher.publish(`${reg}/team/tool:1.0`, toolPackage("tool", "one"));
  await publisher.publish(`${reg}/team/loop:1`, {
    metadata: { type: "bundle", version: 1, env: [], dependencies: [{ identifier: `${reg}/corp/loop-companion:1` }] },
    files: { x: "x" },
  });
  await publisher.publish(`${reg}/corp/loop-companion:1`, { metadata: { type: "bundle", version: 1 }, files: { y: "y" } });
  const rules = join(publisher.root, "loop.json");
  await writeFile(rules, JSON.stringify({ version: 1, rules: [{ match: "*", packages: [`${reg}/corp/loop-companion:1`] }] }));
  await publisher.ok(["patch", "publish", rules, "--for", `${reg}/team/loop:1`]);
});

afterAll(async () => {
  await publisher?.cleanup();
  await registry?.stop();
});

describe("offline", () => {
  test("an installed tag runs with --offline", async () => {
    const sandbox = await Sandbox.create();
    await sandbox.ok(["install", `${reg}/team/tool:1.0`]);
    const result = await sandbox.run(["exec", "--offline", `${reg}/team/tool:1.0`, "--", "tool"]);
    expect(result.stdout).toBe("one\n");
    expect(result.exitCode).toBe(0);
    await sandbox.cleanup();
  });

  test("a missing package fails with exit 69", async () => {
    const sandbox = await Sandbox.create();
    const result = await sandbox.run(["install", `${reg}/team/tool:1.0`], { env: { OCX_OFFLINE: "1" } });
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("offline");
    expect(result.exitCode).toBe(69);
    await sandbox.cleanup();
  });

  test("env keeps the synced digest after the tag moves", async () => {
    const sandbox = await Sandbox.create();
    const reference = `${reg}/team/moving:1`;
    await publisher.publish(reference, toolPackage("moving", "old"));
    await sandbox.ok(["install", reference]);
    await publisher.publish(reference, toolPackage("moving", "new"));

    expect(await sandbox.ok(["exec", reference, "--", "moving"])).toBe("old\n");
    await sandbox.ok(["index", "update", reference]);
    expect(await sandbox.ok(["exec", reference, "--", "moving"])).toBe("new\n");
    await sandbox.cleanup();
  });

  test("a stopped registry does not matter once synced", async () => {
    const own = await startRegistry();
    const sandbox = await Sandbox.create();
    // Patches live on the same registry, so a stray request would show as an error or warning.
    await sandbox.writeUserConfig(`[patches]\nregistry = "${own.host}/ocx-patches"\n`);
    const reference = `${own.host}/team/tool:1`;
    await publisher.publish(reference, toolPackage("tool", "local"));
    await sandbox.ok(["install", reference]);
    await own.stop();
    const result = await sandbox.run(["exec", reference, "--", "tool"]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe("local\n");
    expect(result.exitCode).toBe(0);
    await sandbox.cleanup();
  });
});

describe("graph cycles", () => {
  test("a cycle through a companion prints its path", async () => {
    const sandbox = await Sandbox.create();
    await sandbox.writeUserConfig(`[patches]\nregistry = "${reg}/ocx-patches"\n`);
    const result = await sandbox.run(["deps", `${reg}/team/loop:1`]);
    expect(result.stderr).toContain("GRAPH_CYCLE");
    expect(result.stderr).toContain(`${reg}/corp/loop-companion:1 -[dependency]-> ${reg}/team/loop:1 -[patch]-> ${reg}/corp/loop-companion:1`);
    expect(result.exitCode).toBe(65);
    await sandbox.cleanup();
  });
});

describe("skopeo interoperability", () => {
  test("skopeo inspects what ocx pushed", async () => {
    const result = Bun.spawnSync(["skopeo", "inspect", "--raw", "--tls-verify=false", `docker://${reg}/team/tool:1.0`]);
    expect(result.exitCode).toBe(0);
    const manifest = JSON.parse(result.stdout.toString());
    expect(manifest.artifactType).toBe("application/vnd.sh.ocx.package.v1");
    expect(manifest.config.mediaType).toBe("application/vnd.sh.ocx.package.v1+json");
  });

  test("skopeo copies the package with its blobs", async () => {
    const target = join(publisher.root, "copied-layout");
    const copy = Bun.spawnSync(["skopeo", "copy", "--src-tls-verify=false", `docker://${reg}/team/tool:1.0`, `oci:${target}:tool`]);
    expect(copy.stderr.toString()).toBe("");
    expect(copy.exitCode).toBe(0);
  });

  test("ocx installs a package skopeo uploaded from an OCI layout", async () => {
    const layout = join(publisher.root, "layout");
    await writeOciLayout(layout, "skopeo", {
      metadata: { type: "bundle", version: 1, env: [{ key: "PATH", type: "path", value: "${installPath}/bin" }] },
      layer: await tarGzip([{ name: "bin/via-skopeo", content: "#!/bin/sh\necho via-skopeo\n", mode: 0o755 }]),
    });
    const copy = Bun.spawnSync(["skopeo", "copy", "--dest-tls-verify=false", `oci:${layout}:skopeo`, `docker://${reg}/team/skopeo:1`]);
    expect(copy.stderr.toString()).toBe("");
    expect(copy.exitCode).toBe(0);

    const sandbox = await Sandbox.create();
    expect(await sandbox.ok(["exec", `${reg}/team/skopeo:1`, "--", "via-skopeo"])).toBe("via-skopeo\n");
    await sandbox.cleanup();
  });
});

/** Writes an OCI image layout by hand, as another tool would, holding one OCX package. */
async function writeOciLayout(
  dir: string,
  name: string,
  content: { metadata: Record<string, unknown>; layer: Uint8Array },
): Promise<void> {
  const blobs = join(dir, "blobs", "sha256");
  await mkdir(blobs, { recursive: true });
  const put = async (bytes: Uint8Array) => {
    const hex = new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
    await writeFile(join(blobs, hex), bytes);
    return { digest: `sha256:${hex}`, size: bytes.byteLength };
  };
  const config = await put(new TextEncoder().encode(JSON.stringify(content.metadata)));
  const layer = await put(content.layer);
  const manifest = await put(new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    artifactType: "application/vnd.sh.ocx.package.v1",
    config: { mediaType: "application/vnd.sh.ocx.package.v1+json", ...config },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...layer }],
  })));
  await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  await writeFile(join(dir, "index.json"), JSON.stringify({
    schemaVersion: 2,
    manifests: [{
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      ...manifest,
      annotations: { "org.opencontainers.image.ref.name": name },
    }],
  }));
}
