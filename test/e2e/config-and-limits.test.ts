import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { Sandbox, toolPackage, OCX_BINARY } from "./harness.ts";
import { pushRawPackage } from "./raw-push.ts";

let registry: TestRegistry;
let publisher: Sandbox;
let reg: string;

beforeAll(async () => {
  registry = await startRegistry();
  reg = registry.host;
  publisher = await Sandbox.create();
  await publisher.publish(`${reg}/team/hello:1.0`, toolPackage("hello", "hello"));
});

afterAll(async () => {
  await publisher?.cleanup();
  await registry?.stop();
});

describe("invalid config tiers", () => {
  test.each([
    ["duplicate key", '[patches]\nregistry = "a.example/p"\nregistry = "b.example/p"\n', 3, "registry"],
    ["table twice", '[patches]\nregistry = "a.example/p"\n[patches]\nrequired = true\n', 3, "patches"],
    ["dotted key then table", 'patches.registry = "a.example/p"\n[patches]\nrequired = true\n', 2, "patches"],
    ["wrong type", '[patches]\nregistry = "a.example/p"\nrequired = "yes"\n', 3, "required"],
  ])("%s stops ocx with exit 65", async (_name, toml, line, key) => {
    const sandbox = await Sandbox.create();
    for (const place of ["user", "system"] as const) {
      const file = place === "user" ? join(sandbox.home, "config.toml") : sandbox.systemConfig;
      await writeFile(file, toml);
      const result = await sandbox.run(["env", "--shell", "bash", `${reg}/team/hello:1.0`]);
      expect(result.stdout).toBe("");
      expect(result.stderr).toContain(`${file}:${line}`);
      expect(result.stderr).toContain(key);
      expect(result.exitCode).toBe(65);
      await writeFile(file, "");
    }
    expect(existsSync(join(sandbox.home, "objects"))).toBe(false);
    await sandbox.cleanup();
  });

  test("an invalid project ocx.toml cannot be trusted", async () => {
    const sandbox = await Sandbox.create();
    await writeFile(join(sandbox.cwd, "ocx.toml"), '[patches]\nregistry = "a.example/p"\nrequired = 1\n');
    const result = await sandbox.run(["trust"]);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`${join(sandbox.cwd, "ocx.toml")}:3`);
    expect(result.exitCode).toBe(65);
    expect(existsSync(join(sandbox.home, "trusted.json"))).toBe(false);
    await sandbox.cleanup();
  });
});

describe("project file trust", () => {
  // A planted ocx.toml in a parent folder could add patch registries or plugins.
  const planted = () => `[registries]\ninsecure = ["evil.example:80"]\n[mirrors]\n"${reg}" = ["127.0.0.1:9"]\n`;

  test("an untrusted project file is ignored with a warning", async () => {
    const sandbox = await Sandbox.create();
    await writeFile(join(sandbox.root, "ocx.toml"), planted());
    const result = await sandbox.run(["exec", `${reg}/team/hello:1.0`, "--", "hello"]);
    expect(result.stdout).toBe("hello\n");
    expect(result.stderr).toContain(`ignoring untrusted project file "${join(sandbox.root, "ocx.toml")}"`);
    expect(result.stderr).not.toContain("127.0.0.1:9");
    expect(result.exitCode).toBe(0);
    await sandbox.cleanup();
  });

  test("trust applies until the file changes", async () => {
    const sandbox = await Sandbox.create();
    const file = join(sandbox.cwd, "ocx.toml");
    await writeFile(file, '[plugin.patch-file]\npaths = []\n');
    expect(await sandbox.ok(["trust"])).toBe(`trusted ${file}\n`);
    const trusted = await sandbox.run(["install", `${reg}/team/hello:1.0`]);
    expect(trusted.stderr).not.toContain("untrusted");

    await writeFile(file, planted());
    const changed = await sandbox.run(["install", `${reg}/team/hello:1.0`]);
    expect(changed.stderr).toContain("ignoring untrusted project file");
    expect(changed.exitCode).toBe(0);

    expect(await sandbox.ok(["untrust"])).toBe(`untrusted ${file}\n`);
    await sandbox.cleanup();
  });
});

describe("OCX_HOME paths", () => {
  test("a leading tilde expands to HOME", async () => {
    const sandbox = await Sandbox.create();
    await sandbox.ok(["install", `${reg}/team/hello:1.0`], { env: { OCX_HOME: "~/ocx-store" } });
    expect(existsSync(join(sandbox.userHome, "ocx-store", "objects"))).toBe(true);
    expect(await readdir(sandbox.cwd)).toEqual([]);
    await sandbox.cleanup();
  });

  test.each(["$HOME/ocx-store", "relative/store"])("%s is rejected without creating folders", async (value) => {
    const sandbox = await Sandbox.create();
    const result = await sandbox.run(["install", `${reg}/team/hello:1.0`], { env: { OCX_HOME: value } });
    expect(result.stderr).toContain("CONFIG_PATH_INVALID");
    expect(result.exitCode).toBe(64);
    expect(await readdir(sandbox.cwd)).toEqual([]);
    await sandbox.cleanup();
  });
});

describe("extraction limit", () => {
  test("a decompression bomb stops at max_package_bytes", async () => {
    const sandbox = await Sandbox.create();
    await sandbox.writeUserConfig("[limits]\nmax_package_bytes = 1048576\n");
    const reference = `${reg}/team/bomb:1`;
    // 64 MiB of zeros compresses to about 64 KiB.
    const tar = Bun.spawnSync(["sh", "-c", "cd \"$1\" && head -c 67108864 /dev/zero > big.bin && tar -czf - big.bin", "sh", sandbox.root]);
    await pushRawPackage(reference, { metadata: { type: "bundle", version: 1 }, layer: tar.stdout });

    const result = await sandbox.run(["install", reference]);

    expect(result.stderr).toContain("PACKAGE_ARCHIVE_TOO_LARGE");
    expect(result.stderr).toContain("max_package_bytes");
    expect(result.exitCode).toBe(65);
    expect(existsSync(join(sandbox.home, "objects"))).toBe(false);
    expect(await readdir(join(sandbox.home, "tmp"))).toEqual([]);
    await sandbox.cleanup();
  });
});

describe("concurrent installs", () => {
  test("eight processes installing one package all succeed", async () => {
    const sandbox = await Sandbox.create();
    const reference = `${reg}/team/hello:1.0`;
    const runs = await Promise.all(Array.from({ length: 8 }, () => sandbox.run(["install", reference])));
    for (const run of runs) {
      expect(run.stderr).not.toContain("error");
      expect(run.exitCode).toBe(0);
    }
    expect(await readdir(join(sandbox.home, "objects", "sha256"))).toHaveLength(1);
    expect(await readdir(join(sandbox.home, "tmp"))).toEqual([]);
    const exec = Bun.spawnSync([OCX_BINARY, "exec", reference, "--", "hello"], { env: sandbox.env() });
    expect(exec.stdout.toString()).toBe("hello\n");
    await sandbox.cleanup();
  });

  test("eight tags of one repository installed at once all stay indexed", async () => {
    const sandbox = await Sandbox.create();
    const tags = Array.from({ length: 8 }, (_, index) => `${index + 1}.0`);
    for (const tag of tags) await publisher.publish(`${reg}/team/many:${tag}`, toolPackage("many", `v${tag}`));
    const runs = await Promise.all(tags.map((tag) => sandbox.run(["install", `${reg}/team/many:${tag}`])));
    for (const run of runs) expect(run.exitCode).toBe(0);
    for (const tag of tags) {
      const result = await sandbox.run(["exec", "--offline", `${reg}/team/many:${tag}`, "--", "many"]);
      expect(result.stdout).toBe(`v${tag}\n`);
    }
    await sandbox.cleanup();
  });
});
