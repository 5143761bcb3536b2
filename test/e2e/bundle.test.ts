import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { Sandbox, toolPackage } from "./harness.ts";

// The source registry is stopped by the end-to-end test, so it is this file's own.
let source: TestRegistry;
let publisher: Sandbox;
let reg: string;
let bundleTar: string;
let bundleDir: string;

function patchConfig(): string {
  return `[patches]\nregistry = "${reg}/ocx-patches"\n`;
}

beforeAll(async () => {
  source = await startRegistry();
  reg = source.host;
  publisher = await Sandbox.create();
  await publisher.writeUserConfig(patchConfig());
  await publisher.publish(`${reg}/team/lib:1`, {
    metadata: { type: "bundle", version: 1, env: [{ key: "LIB_HOME", type: "constant", value: "${installPath}" }] },
    files: { "lib.txt": "lib" },
  });
  await publisher.publish(`${reg}/team/tool:1.0`, toolPackage("tool", "one", {
    metadata: { dependencies: [{ identifier: `${reg}/team/lib:1`, name: "lib" }] },
  }));
  await publisher.publish(`${reg}/corp/ca:1`, {
    metadata: { type: "bundle", version: 1, env: [{ key: "SSL_CERT_FILE", type: "constant", value: "${installPath}/ca.pem" }] },
    files: { "ca.pem": "corp ca" },
  });
  const rules = join(publisher.root, "rules.json");
  await writeFile(rules, JSON.stringify({ version: 1, rules: [{ match: "*", packages: [`${reg}/corp/ca:1`] }] }));
  await publisher.ok(["patch", "publish", rules, "--for", `${reg}/team/tool:1.0`]);

  bundleTar = join(publisher.root, "bundle.tar");
  bundleDir = join(publisher.root, "bundle-dir");
  await publisher.ok(["bundle", "export", `${reg}/team/tool:1.0`, "--output", bundleTar]);
  await publisher.ok(["bundle", "export", `${reg}/team/tool:1.0`, "--output", bundleDir]);
});

afterAll(async () => {
  await publisher?.cleanup();
  await source?.stop();
});

async function offlineSandbox(): Promise<Sandbox> {
  const sandbox = await Sandbox.create();
  await sandbox.writeUserConfig(`offline = true\n${patchConfig()}`);
  return sandbox;
}

describe("bundle export", () => {
  test("writes an OCI image layout naming every entry by reference", async () => {
    const index = JSON.parse(await readFile(join(bundleDir, "index.json"), "utf8"));
    const names = index.manifests.map((entry: any) => `${entry.annotations["sh.ocx.bundle.role"]} ${entry.annotations["org.opencontainers.image.ref.name"]}`);
    expect(names.sort()).toEqual([
      `companion ${reg}/corp/ca:1`,
      `dependency ${reg}/team/lib:1`,
      `patch ${reg}/ocx-patches/${reg.replace(":", "_")}/team/tool:__ocx.patch`,
      `root ${reg}/team/tool:1.0`,
    ]);
    expect(JSON.parse(await readFile(join(bundleDir, "oci-layout"), "utf8"))).toEqual({ imageLayoutVersion: "1.0.0" });
    expect(JSON.parse(index.annotations["sh.ocx.bundle.absent-patches"])).toContain(`${reg}/ocx-patches/global`);
  });
});

describe("bundle export of optional companions", () => {
  test("leaves out an optional companion it cannot fetch, with a warning", async () => {
    await publisher.publish(`${reg}/team/opt:1`, toolPackage("opt", "opt"));
    const rules = join(publisher.root, "optional.json");
    await writeFile(rules, JSON.stringify({ version: 1, rules: [{ match: "*", packages: [`${reg}/corp/missing:1`], required: false }] }));
    await publisher.ok(["patch", "publish", rules, "--for", `${reg}/team/opt:1`]);

    const result = await publisher.run(["bundle", "export", `${reg}/team/opt:1`, "--output", join(publisher.root, "optional-bundle")]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain(`leaving out optional companion "${reg}/corp/missing:1"`);
    expect(result.stdout).toContain(`root       ${reg}/team/opt:1`);
  });
});

describe("bundle import", () => {
  test("rejects a bundle with a damaged blob and changes nothing", async () => {
    const sandbox = await offlineSandbox();
    const copy = join(sandbox.root, "damaged");
    await cp(bundleDir, copy, { recursive: true });
    const blobs = join(copy, "blobs", "sha256");
    const victim = (await readdir(blobs))[0]!;
    await writeFile(join(blobs, victim), "tampered");
    const result = await sandbox.run(["bundle", "import", copy]);
    expect(result.exitCode).toBe(65);
    expect(result.stderr).toContain("BUNDLE_DIGEST_MISMATCH");
    expect(await readdir(sandbox.home)).toEqual(["config.toml"]);
    await sandbox.cleanup();
  });

  test("inventory and --missing-from carry only what is missing", async () => {
    const offline = await offlineSandbox();
    await offline.ok(["bundle", "import", bundleTar]);
    const inventory = join(offline.root, "inventory.json");
    await offline.ok(["bundle", "inventory", "--output", inventory]);

    const partial = join(publisher.root, "partial");
    const exported = JSON.parse(await publisher.ok(["bundle", "export", `${reg}/team/tool:1.0`, "--output", partial, "--missing-from", inventory, "--json"]));
    expect(exported.skipped).toBeGreaterThan(0);
    expect((await readdir(join(partial, "blobs", "sha256"))).length).toBeLessThan((await readdir(join(bundleDir, "blobs", "sha256"))).length);

    // The partial bundle completes the home that wrote the inventory, not a fresh one.
    await offline.ok(["bundle", "import", partial]);
    const fresh = await offlineSandbox();
    const result = await fresh.run(["bundle", "import", partial]);
    expect(result.exitCode).toBe(65);
    expect(result.stderr).toContain("BUNDLE_INCOMPLETE");
    expect(await readdir(fresh.home)).toEqual(["config.toml"]);
    await offline.cleanup();
    await fresh.cleanup();
  });
});

describe("air gap", () => {
  test("a patched tool runs offline from an imported bundle after the registry stops", async () => {
    const offline = await offlineSandbox();
    await source.stop();
    await offline.ok(["bundle", "import", bundleTar]);

    const reference = `${reg}/team/tool:1.0`;
    expect(await offline.ok(["exec", "--offline", reference, "--", "tool"])).toBe("one\n");
    const env = JSON.parse(await offline.ok(["env", "--offline", "--json", reference])).env;
    expect(env.SSL_CERT_FILE).toEndWith("/content/ca.pem");
    expect(env.LIB_HOME).toContain("/objects/sha256/");
    expect(await offline.ok(["install", "--offline", reference])).toContain("companion");
    expect(await offline.ok(["verify"])).toContain("no problems");

    // A copy of the whole home at another path works offline too.
    const moved = join(offline.root, "moved-home");
    await cp(offline.home, moved, { recursive: true, verbatimSymlinks: true });
    await rm(offline.home, { recursive: true });
    const relocated = await offline.run(["exec", "--offline", reference, "--", "sh", "-c", "tool; cat \"$SSL_CERT_FILE\""], { env: { OCX_HOME: moved } });
    expect(relocated.stdout).toBe("one\ncorp ca");
    expect(relocated.exitCode).toBe(0);
    await offline.cleanup();
  });
});

describe("bundle export output", () => {
  test.each(["existing.tar", "existing-folder"])("refuses to overwrite %s", async (name) => {
    const target = join(publisher.root, name);
    if (name.endsWith(".tar")) await Bun.write(target, "old");
    else await Bun.write(join(target, "keep.txt"), "old");
    const result = await publisher.run(["bundle", "export", `${reg}/team/tool:1.0`, "--output", target]);
    expect(result.stderr).toContain("already exists");
    expect(result.exitCode).toBe(64);
  });
});
