import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { OCX_BINARY, Sandbox, toolPackage } from "./harness.ts";

let registry: TestRegistry;
let publisher: Sandbox;
let reg: string;

beforeAll(async () => {
  registry = await startRegistry();
  reg = registry.host;
  publisher = await Sandbox.create();
  await publisher.writeUserConfig(`[patches]\nregistry = "${reg}/ocx-patches"\n`);
  await publisher.publish(`${reg}/team/lib:1`, { metadata: { type: "bundle", version: 1 }, files: { "lib.txt": "lib" } });
  const withLib = { metadata: { dependencies: [{ identifier: `${reg}/team/lib:1`, name: "lib" }] } };
  await publisher.publish(`${reg}/team/a:1`, toolPackage("a", "a", withLib));
  await publisher.publish(`${reg}/team/b:1`, toolPackage("b", "b", withLib));
  await publisher.publish(`${reg}/team/jdk:17`, toolPackage("java", "17"));
  await publisher.publish(`${reg}/team/jdk:21`, toolPackage("java", "21"));
  await publisher.publish(`${reg}/corp/ca:1`, {
    metadata: { type: "bundle", version: 1, env: [{ key: "CORP_CA", type: "constant", value: "${installPath}" }] },
    files: { "ca.pem": "ca" },
  });
  const rules = join(publisher.root, "rules.json");
  await writeFile(rules, JSON.stringify({ version: 1, rules: [{ match: "*", packages: [`${reg}/corp/ca:1`] }] }));
  await publisher.ok(["patch", "publish", rules, "--for", `${reg}/team/jdk:17`]);
});

afterAll(async () => {
  await publisher?.cleanup();
  await registry?.stop();
});

async function patchedSandbox(): Promise<Sandbox> {
  const sandbox = await Sandbox.create();
  await sandbox.writeUserConfig(`[patches]\nregistry = "${reg}/ocx-patches"\n`);
  return sandbox;
}

async function digestsOf(sandbox: Sandbox, reference: string): Promise<Record<string, string>> {
  const packages = JSON.parse(await sandbox.ok(["install", "--json", reference])).packages as { identifier: string; digest: string }[];
  return Object.fromEntries(packages.map((item) => [item.identifier, item.digest]));
}

async function objects(sandbox: Sandbox): Promise<string[]> {
  const names = await readdir(join(sandbox.home, "objects", "sha256")).catch(() => [] as string[]);
  return names.map((hex) => `sha256:${hex}`);
}

describe("uninstall and clean", () => {
  test("a dependency stays while a dependent remains", async () => {
    const sandbox = await Sandbox.create();
    const a = await digestsOf(sandbox, `${reg}/team/a:1`);
    await digestsOf(sandbox, `${reg}/team/b:1`);
    const lib = a[`${reg}/team/lib:1`]!;

    await sandbox.ok(["uninstall", `${reg}/team/a:1`]);
    expect(await objects(sandbox)).not.toContain(a[`${reg}/team/a:1`]!);
    expect(await objects(sandbox)).toContain(lib);
    expect(await sandbox.ok(["exec", "--offline", `${reg}/team/b:1`, "--", "b"])).toBe("b\n");

    await sandbox.ok(["uninstall", `${reg}/team/b:1`]);
    expect(await objects(sandbox)).toEqual([]);
    expect(await sandbox.ok(["verify"])).toContain("no problems");
    await sandbox.cleanup();
  });

  test("a companion stays while any install it patches remains", async () => {
    const sandbox = await patchedSandbox();
    const first = await digestsOf(sandbox, `${reg}/team/jdk:17`);
    await digestsOf(sandbox, `${reg}/team/jdk:21`);
    const ca = first[`${reg}/corp/ca:1`]!;
    expect(ca).toBeDefined();

    await sandbox.ok(["uninstall", `${reg}/team/jdk:17`]);
    expect(await objects(sandbox)).toContain(ca);
    const env = JSON.parse(await sandbox.ok(["env", "--offline", "--json", `${reg}/team/jdk:21`])).env;
    expect(env.CORP_CA).toContain(ca.slice("sha256:".length));

    await sandbox.ok(["uninstall", `${reg}/team/jdk:21`]);
    expect(await objects(sandbox)).not.toContain(ca);
    await sandbox.cleanup();
  });

  test("a patch descriptor stays while the patch config refers to it", async () => {
    const sandbox = await patchedSandbox();
    await sandbox.ok(["install", `${reg}/team/jdk:17`]);
    const before = JSON.parse(await sandbox.ok(["clean", "--dry-run", "--json"]));
    expect(before.removed).toEqual([]);

    await sandbox.writeUserConfig("");
    const dry = JSON.parse(await sandbox.ok(["clean", "--dry-run", "--json"]));
    const kinds = dry.removed.map((item: { kind: string; reason: string }) => `${item.kind}: ${item.reason}`);
    expect(kinds).toContain("link: patch descriptor no longer in the config");
    expect(kinds).toContain("object: no install, dependent or patched base refers to it");
    expect(dry.bytes).toBeGreaterThan(0);
    const count = (await objects(sandbox)).length;

    await sandbox.ok(["clean"]);
    // The descriptor and the companion it brought go; the install stays.
    expect((await objects(sandbox)).length).toBe(count - 2);
    expect(await sandbox.ok(["exec", "--offline", `${reg}/team/jdk:17`, "--", "java"])).toBe("17\n");
    await sandbox.cleanup();
  });

  test("--dry-run lists what would go and removes nothing", async () => {
    const sandbox = await Sandbox.create();
    await sandbox.ok(["install", `${reg}/team/a:1`]);
    await sandbox.ok(["uninstall", `${reg}/team/a:1`]);
    await sandbox.ok(["install", `${reg}/team/a:1`]);
    const before = await objects(sandbox);
    const text = await sandbox.ok(["clean", "--dry-run"]);
    expect(text).toContain("would free 0 B in 0 items");
    expect(await objects(sandbox)).toEqual(before);
    await sandbox.cleanup();
  });

  test("uninstalling what is not installed fails with exit 69", async () => {
    const sandbox = await Sandbox.create();
    const result = await sandbox.run(["uninstall", `${reg}/team/a:1`]);
    expect(result.exitCode).toBe(69);
    expect(result.stderr).toContain("is not installed");
    await sandbox.cleanup();
  });

  test("an object a running exec uses survives clean until it exits", async () => {
    const sandbox = await Sandbox.create();
    const digests = await digestsOf(sandbox, `${reg}/team/a:1`);
    const child = Bun.spawn([OCX_BINARY, "exec", `${reg}/team/a:1`, "--", "sh", "-c", "echo started; read line; a"], {
      env: sandbox.env(),
      cwd: sandbox.cwd,
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
    });
    const reader = child.stdout.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("started\n");

    await sandbox.ok(["uninstall", `${reg}/team/a:1`]);
    expect(await objects(sandbox)).toContain(digests[`${reg}/team/a:1`]!);
    child.stdin.write("go\n");
    child.stdin.end();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("a\n");
    expect(await child.exited).toBe(0);

    await sandbox.ok(["clean"]);
    expect(await objects(sandbox)).toEqual([]);
    await sandbox.cleanup();
  });
});
