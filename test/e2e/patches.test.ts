import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { runShell, Sandbox, toolPackage, type PackageSpec } from "./harness.ts";

let registry: TestRegistry;
let publisher: Sandbox;
let reg: string;

function constants(values: Record<string, string>, extra: Record<string, unknown> = {}): PackageSpec {
  return {
    metadata: {
      type: "bundle",
      version: 1,
      env: Object.entries(values).map(([key, value]) => ({ key, type: "constant", value })),
      ...extra,
    },
    files: { "marker.txt": "x" },
  };
}

async function publishPatch(base: string, rules: unknown[]): Promise<void> {
  const file = join(publisher.root, `rules-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify({ version: 1, rules }));
  await publisher.ok(["patch", "publish", file, "--for", base]);
}

async function patchedSandbox(): Promise<Sandbox> {
  const sandbox = await Sandbox.create();
  await sandbox.writeUserConfig(`[patches]\nregistry = "${reg}/ocx-patches"\n`);
  return sandbox;
}

beforeAll(async () => {
  registry = await startRegistry();
  reg = registry.host;
  publisher = await Sandbox.create();
  await publisher.writeUserConfig(`[patches]\nregistry = "${reg}/ocx-patches"\n`);

  await publisher.publish(`${reg}/team/jdk:17`, constants({ JAVA_HOME: "${installPath}", SSL_CERT_FILE: "${installPath}/cacerts.pem" }));
  await publisher.publish(`${reg}/team/jdk:21`, constants({ JAVA_HOME: "${installPath}" }));
  await publisher.publish(`${reg}/corp/ca-dep:1`, constants({ CA_DEP: "yes" }));
  await publisher.publish(`${reg}/corp/ca:1`, constants(
    { SSL_CERT_FILE: "${installPath}/corp-ca.pem", NODE_EXTRA_CA_CERTS: "${installPath}/corp-ca.pem" },
    { dependencies: [{ identifier: `${reg}/corp/ca-dep:1`, name: "cadep" }] },
  ));
  await publisher.publish(`${reg}/corp/proxy:1`, constants({ HTTPS_PROXY: "http://proxy.corp:3128", SSL_CERT_FILE: "/proxy.pem" }));
  await publisher.publish(`${reg}/corp/truststore:1`, constants({ TRUSTSTORE: "on" }));
  await publisher.publish(`${reg}/team/plain:1`, toolPackage("plain", "plain"));

  // One descriptor per package repository; its rules match on the tag.
  // jdk:17 gets ca from "*", then truststore and a duplicate ca from "17";
  // jdk:21 gets ca and proxy, which both set SSL_CERT_FILE.
  await publishPatch(`${reg}/team/jdk:17`, [
    { match: "*", packages: [`${reg}/corp/ca:1`] },
    { match: "17", packages: [`${reg}/corp/truststore:1`, `${reg}/corp/ca:1`] },
    { match: `${reg}/team/jdk:2?`, packages: [`${reg}/corp/proxy:1`] },
  ]);
});

afterAll(async () => {
  await publisher?.cleanup();
  await registry?.stop();
});

describe("infrastructure patches", () => {
  test("joins rules in order and drops duplicates", async () => {
    const sandbox = await patchedSandbox();
    const stdout = await sandbox.ok(["deps", "--json", `${reg}/team/jdk:17`]);
    const patchEdges = JSON.parse(stdout).edges.filter((edge: { kind: string }) => edge.kind === "patch");
    expect(patchEdges.map((edge: { after: string }) => edge.after)).toEqual([`${reg}/corp/ca:1`, `${reg}/corp/truststore:1`]);
    await sandbox.cleanup();
  });

  test("installs a companion's own dependency", async () => {
    const sandbox = await patchedSandbox();
    const tree = await sandbox.ok(["deps", `${reg}/team/jdk:17`]);
    expect(tree).toContain(`[patch] ${reg}/corp/ca:1`);
    expect(tree).toContain(`[dep] ${reg}/corp/ca-dep:1`);
    await sandbox.cleanup();
  });

  test("companion overrides the base constant with an info line", async () => {
    const sandbox = await patchedSandbox();
    const result = await sandbox.run(["env", "--json", `${reg}/team/jdk:17`]);
    const { env } = JSON.parse(result.stdout);
    expect(env.SSL_CERT_FILE).toEndWith("/corp-ca.pem");
    expect(env.CA_DEP).toBe("yes");
    expect(result.stderr).toContain("SSL_CERT_FILE");
    expect(result.stderr).not.toContain("warn");
    expect(result.exitCode).toBe(0);
    await sandbox.cleanup();
  });

  test("warns when two companions set one variable", async () => {
    const sandbox = await patchedSandbox();
    const result = await sandbox.run(["env", "--json", `${reg}/team/jdk:21`]);
    expect(result.stderr).toMatch(/warn.*SSL_CERT_FILE/);
    expect(result.exitCode).toBe(0);
    await sandbox.cleanup();
  });

  test("annotates patched values with --show-patches", async () => {
    const sandbox = await patchedSandbox();
    const stdout = await sandbox.ok(["env", "--shell", "bash", "--show-patches", `${reg}/team/jdk:17`]);
    expect(stdout).toContain("# [patch: corp/ca:1]");
    expect(stdout).toContain("# [patch: corp/truststore:1]");
    await sandbox.cleanup();
  });

  test("gives patched values to the running tool", async () => {
    const sandbox = await patchedSandbox();
    const result = await runShell("bash", `eval "$(${join(import.meta.dir, "../../dist/ocx")} env --shell bash ${reg}/team/jdk:17)"; printf '%s' "$NODE_EXTRA_CA_CERTS"`, sandbox.env());
    expect(result.stdout).toEndWith("/corp-ca.pem");
    await sandbox.cleanup();
  });

  test("without patch config the base is unpatched", async () => {
    const sandbox = await Sandbox.create();
    const { env } = JSON.parse(await sandbox.ok(["env", "--json", `${reg}/team/jdk:17`]));
    expect(env.SSL_CERT_FILE).toEndWith("/cacerts.pem");
    expect(env.NODE_EXTRA_CA_CERTS).toBeUndefined();
    await sandbox.cleanup();
  });
});

describe("patch index states", () => {
  test("never synced fails closed offline", async () => {
    const sandbox = await patchedSandbox();
    await installWithoutPatches(sandbox, `${reg}/team/plain:1`);
    const result = await sandbox.run(["env", "--offline", `${reg}/team/plain:1`]);
    expect(result.stderr).toContain("PATCH_UNAVAILABLE");
    expect(result.exitCode).toBe(69);
    await sandbox.cleanup();
  });

  test("synced without a patch works offline", async () => {
    const sandbox = await patchedSandbox();
    await sandbox.ok(["install", `${reg}/team/plain:1`]);
    const result = await sandbox.run(["exec", "--offline", `${reg}/team/plain:1`, "--", "plain"]);
    expect(result.stdout).toBe("plain\n");
    expect(result.exitCode).toBe(0);
    await sandbox.cleanup();
  });

  test("synced with a patch applies it offline", async () => {
    const sandbox = await patchedSandbox();
    await sandbox.ok(["install", `${reg}/team/jdk:17`]);
    const { env } = JSON.parse(await sandbox.ok(["env", "--json", `${reg}/team/jdk:17`], { env: { OCX_OFFLINE: "1" } }));
    expect(env.SSL_CERT_FILE).toEndWith("/corp-ca.pem");
    await sandbox.cleanup();
  });
});

describe("damaged or missing patch registries", () => {
  test("an unreachable optional patch registry warns once", async () => {
    const sandbox = await Sandbox.create();
    await sandbox.writeUserConfig(`[patches]\nregistry = "127.0.0.1:9/ocx-patches"\nrequired = false\n`);
    const result = await sandbox.run(["exec", `${reg}/team/plain:1`, "--", "plain"]);
    expect(result.stdout).toBe("plain\n");
    expect(result.stderr.match(/warn/g)?.length).toBe(1);
    expect(result.exitCode).toBe(0);
    await sandbox.cleanup();
  });

  test("a damaged stored descriptor is fetched again", async () => {
    const sandbox = await patchedSandbox();
    await sandbox.ok(["install", `${reg}/team/jdk:17`]);
    const artifacts = join(sandbox.home, "artifacts");
    const links = (await Array.fromAsync(new Bun.Glob("**/patch").scan({ cwd: artifacts, onlyFiles: false, followSymlinks: false })));
    for (const link of links) await writeFile(join(artifacts, link, "layer"), "{ damaged");
    const { env } = JSON.parse(await sandbox.ok(["env", "--json", `${reg}/team/jdk:17`]));
    expect(env.SSL_CERT_FILE).toEndWith("/corp-ca.pem");
    // The repair is stored: offline now reads the fetched copy.
    const offline = JSON.parse(await sandbox.ok(["env", "--json", "--offline", `${reg}/team/jdk:17`]));
    expect(offline.env.SSL_CERT_FILE).toEndWith("/corp-ca.pem");
    await sandbox.cleanup();
  });
});

/** Installs with patches switched off, so the patch index stays never synced. */
async function installWithoutPatches(sandbox: Sandbox, reference: string): Promise<void> {
  const config = join(sandbox.home, "config.toml");
  const saved = await Bun.file(config).text();
  await writeFile(config, "");
  await sandbox.ok(["install", reference]);
  await writeFile(config, saved);
}
