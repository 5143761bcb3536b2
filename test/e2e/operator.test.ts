import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { OCX_BINARY, Sandbox, toolPackage, type PackageSpec } from "./harness.ts";

let registry: TestRegistry;
let publisher: Sandbox;
let reg: string;

function constants(values: Record<string, string>): PackageSpec {
  return {
    metadata: { type: "bundle", version: 1, env: Object.entries(values).map(([key, value]) => ({ key, type: "constant", value })) },
    files: { "marker.txt": "x" },
  };
}

async function patchedSandbox(): Promise<Sandbox> {
  const sandbox = await Sandbox.create();
  await sandbox.writeUserConfig(`[patches]\nregistry = "${reg}/ocx-patches"\n`);
  return sandbox;
}

beforeAll(async () => {
  registry = await startRegistry();
  reg = registry.host;
  publisher = await patchedSandbox();
  await publisher.publish(`${reg}/team/jdk:17`, constants({ JAVA_HOME: "${installPath}", SSL_CERT_FILE: "${installPath}/cacerts.pem" }));
  await publisher.publish(`${reg}/corp/ca:1`, constants({ SSL_CERT_FILE: "${installPath}/corp-ca.pem" }));
  await publisher.publish(`${reg}/corp/truststore:1`, constants({ TRUSTSTORE: "on" }));
  await publisher.publish(`${reg}/team/plain:1`, toolPackage("plain", "plain"));
  const rules = join(publisher.root, "jdk-rules.json");
  await writeFile(rules, JSON.stringify({ version: 1, rules: [{ match: "*", packages: [`${reg}/corp/ca:1`] }] }));
  await publisher.ok(["patch", "publish", rules, "--for", `${reg}/team/jdk:17`]);
});

afterAll(async () => {
  await publisher?.cleanup();
  await registry?.stop();
});

async function certFile(sandbox: Sandbox, options: { env?: Record<string, string> } = {}): Promise<string> {
  const { env } = JSON.parse(await sandbox.ok(["env", "--json", `${reg}/team/jdk:17`], options));
  return env.SSL_CERT_FILE;
}

describe("enforced system patches", () => {
  test("survive a user tier, no-patches and OCX_NO_PATCHES", async () => {
    const sandbox = await Sandbox.create();
    await writeFile(sandbox.systemConfig, `[patches]\nregistry = "${reg}/ocx-patches"\nenforced = true\n`);
    await sandbox.writeUserConfig(`no-patches = ["*"]\n[patches]\nregistry = "${reg}/ocx-patches"\nrequired = false\n`);
    await writeFile(join(sandbox.cwd, "ocx.toml"), 'no-patches = ["*"]\n');
    await sandbox.ok(["trust"]);
    expect(await certFile(sandbox, { env: { OCX_NO_PATCHES: "*" } })).toEndWith("/corp-ca.pem");
    await sandbox.cleanup();
  });

  test.each(["mirrors", "plugin.mirror"])("a user [%s] cannot redirect enforced companions", async (table) => {
    const impostor = await startRegistry();
    try {
      await publisher.publish(`${impostor.host}/corp/ca:1`, constants({ SSL_CERT_FILE: "/impostor.pem" }));
      const sandbox = await Sandbox.create();
      await sandbox.writeUserConfig(`[${table}]\n"${reg}" = ["${impostor.host}"]\n`);
      await writeFile(sandbox.systemConfig, `[patches]\nregistry = "${reg}/ocx-patches"\n`);
      expect(await certFile(sandbox)).toBe("/impostor.pem");

      const enforced = await Sandbox.create();
      await enforced.writeUserConfig(`[${table}]\n"${reg}" = ["${impostor.host}"]\n`);
      await writeFile(enforced.systemConfig, `[patches]\nregistry = "${reg}/ocx-patches"\nenforced = true\n`);
      const result = await enforced.run(["env", "--json", `${reg}/team/jdk:17`]);
      expect(JSON.parse(result.stdout).env.SSL_CERT_FILE).toEndWith("/corp-ca.pem");
      expect(result.stderr).toContain("only the system config may set mirrors");
      for (const box of [sandbox, enforced]) await box.cleanup();
    } finally {
      await impostor.stop();
    }
  });

  test("config show names the enforcing tier", async () => {
    const sandbox = await Sandbox.create();
    await writeFile(sandbox.systemConfig, `[patches]\nregistry = "${reg}/ocx-patches"\nenforced = true\n`);
    await sandbox.writeUserConfig(`[patches]\nregistry = "${reg}/ocx-patches"\nrequired = false\n`);
    const { patches } = JSON.parse(await sandbox.ok(["config", "show", "--json"]));
    expect(patches).toEqual([
      { registry: `${reg}/ocx-patches`, required: true, enforced: true, tier: "system", file: sandbox.systemConfig },
    ]);
    await sandbox.cleanup();
  });

  test("enforced outside the system tier is rejected", async () => {
    const sandbox = await Sandbox.create();
    await sandbox.writeUserConfig(`[patches]\nregistry = "${reg}/ocx-patches"\nenforced = true\n`);
    const result = await sandbox.run(["env", `${reg}/team/plain:1`]);
    expect(result.stderr).toContain('key "patches.enforced" may only be set in the system config');
    expect(result.exitCode).toBe(65);
    await sandbox.cleanup();
  });
});

describe("no-patches", () => {
  test("a project opts a base out of non-enforced patches", async () => {
    const sandbox = await patchedSandbox();
    await writeFile(join(sandbox.cwd, "ocx.toml"), `no-patches = ["${reg}/team/jdk:*"]\n`);
    await sandbox.ok(["trust"]);
    expect(await certFile(sandbox)).toEndWith("/cacerts.pem");
    await sandbox.cleanup();
  });

  test("reaches a nested ocx exec outside the project", async () => {
    const sandbox = await patchedSandbox();
    await writeFile(join(sandbox.cwd, "ocx.toml"), `no-patches = ["${reg}/team/jdk:*"]\n`);
    await sandbox.ok(["trust"]);
    const nested = `cd / && ${OCX_BINARY} exec ${reg}/team/jdk:17 -- /bin/sh -c 'printf %s "$SSL_CERT_FILE"'`;
    const outer = ["exec", `${reg}/team/plain:1`, "--", "/bin/sh", "-c", nested];
    expect(await sandbox.ok(outer)).toEndWith("/cacerts.pem");
    await sandbox.cleanup();
  });

  test("without the opt-out the nested exec is patched", async () => {
    const sandbox = await patchedSandbox();
    const nested = `cd / && ${OCX_BINARY} exec ${reg}/team/jdk:17 -- /bin/sh -c 'printf %s "$SSL_CERT_FILE"'`;
    expect(await sandbox.ok(["exec", `${reg}/team/plain:1`, "--", "/bin/sh", "-c", nested])).toEndWith("/corp-ca.pem");
    await sandbox.cleanup();
  });
});

describe("config show", () => {
  test("prints each value with its tier and file", async () => {
    const sandbox = await Sandbox.create();
    await writeFile(sandbox.systemConfig, "offline = false\n[limits]\nmax_package_bytes = 1000\n");
    await sandbox.writeUserConfig("offline = true\n");
    await writeFile(join(sandbox.cwd, "ocx.toml"), 'no-patches = ["*/x:*"]\n');
    await sandbox.ok(["trust"]);
    const stdout = await sandbox.ok(["config", "show"]);
    expect(stdout).toContain(`offline = false  [system] ${sandbox.systemConfig}  (overridden)`);
    expect(stdout).toContain(`offline = true  [user] ${join(sandbox.home, "config.toml")}\n`);
    expect(stdout).toContain(`no-patches = ["*/x:*"]  [project] ${join(sandbox.cwd, "ocx.toml")}`);
    expect(stdout).toContain(`limits.max_package_bytes = 1000  [system]`);
    await sandbox.cleanup();
  });
});

const transformPlugin = `
import { definePlugin } from "ocx/plugin";
export default definePlugin({
  name: "audit",
  apiVersion: 1,
  transformEnv: (env) => (env.SSL_CERT_FILE ? { SSL_CERT_FILE: env.SSL_CERT_FILE + ".audited" } : undefined),
});
`;

describe("ocx why", () => {
  async function whySandbox(): Promise<Sandbox> {
    const sandbox = await patchedSandbox();
    await mkdir(join(sandbox.home, "plugins"), { recursive: true });
    await writeFile(join(sandbox.home, "plugins", "audit.ts"), transformPlugin);
    return sandbox;
  }

  test("lists base, companion and plugin with their values", async () => {
    const sandbox = await whySandbox();
    const explanation = JSON.parse(await sandbox.ok(["why", "SSL_CERT_FILE", `${reg}/team/jdk:17`, "--json"]));
    const steps = explanation.steps;
    expect(steps.map((step: { kind: string; id: string }) => `${step.kind} ${step.id}`)).toEqual([
      `package ${reg}/team/jdk:17`,
      `companion ${reg}/corp/ca:1`,
      "plugin audit",
    ]);
    expect(steps[0].value).toEndWith("/cacerts.pem");
    expect(steps[1].overrode).toEqual({ id: `${reg}/team/jdk:17`, value: steps[0].value });
    expect(steps[1].rules).toEqual([`"*" in ${reg}/ocx-patches/${reg.replace(":", "_")}/team/jdk`]);
    expect(steps[2]).toMatchObject({ value: `${steps[1].value}.audited`, overrode: { id: `${reg}/corp/ca:1`, value: steps[1].value } });
    expect(explanation.value).toBe(steps[2].value);
    await sandbox.cleanup();
  });

  test("explains in text, installing nothing", async () => {
    const sandbox = await whySandbox();
    const stdout = await sandbox.ok(["why", "SSL_CERT_FILE", `${reg}/team/jdk:17`]);
    expect(stdout).toContain(`1. package ${reg}/team/jdk:17 set it`);
    expect(stdout).toContain(`2. companion ${reg}/corp/ca:1 set it (patches ${reg}/team/jdk:17, rule "*" in`);
    expect(stdout).toContain("3. plugin audit set it (env transform)");
    expect(stdout).toContain(`overrode ${reg}/corp/ca:1: `);
    const installed = await Array.fromAsync(new Bun.Glob("installs/**/candidates/*").scan({ cwd: sandbox.home, onlyFiles: false }));
    expect(installed).toEqual([]);
    await sandbox.cleanup();
  });

  test("explains a project's tools and [env] without references", async () => {
    const sandbox = await patchedSandbox();
    await writeFile(join(sandbox.cwd, "ocx.toml"), `[tools]\njdk = "${reg}/team/jdk:17"\n[env]\nSSL_CERT_FILE = "/project.pem"\n`);
    await sandbox.ok(["trust"]);
    const { steps } = JSON.parse(await sandbox.ok(["why", "SSL_CERT_FILE", "--json"]));
    expect(steps.map((step: { id: string }) => step.id)).toEqual([`${reg}/team/jdk:17`, `${reg}/corp/ca:1`, join(sandbox.cwd, "ocx.toml")]);
    expect(steps[2]).toMatchObject({ value: "/project.pem", overrode: { id: `${reg}/corp/ca:1`, value: steps[1].value } });
    await sandbox.cleanup();
  });

  test("reports a caller's value that no package touches", async () => {
    const sandbox = await Sandbox.create();
    const stdout = await sandbox.ok(["why", "LANG", `${reg}/team/plain:1`]);
    expect(stdout).toBe("LANG=C.UTF-8\n  1. caller's environment\n");
    await sandbox.cleanup();
  });
});

describe("ocx patch test", () => {
  test("shows matching rules, companions and the env diff", async () => {
    const sandbox = await patchedSandbox();
    const file = join(sandbox.root, "new-rules.json");
    await writeFile(file, JSON.stringify({ version: 1, rules: [
      { match: "17", packages: [`${reg}/corp/truststore:1`] },
      { match: "21", packages: [`${reg}/corp/ca:1`] },
    ] }));
    const report = JSON.parse(await sandbox.ok(["patch", "test", file, `${reg}/team/jdk:17`, "--json"]));
    const [jdk] = report.packages;
    expect(jdk.rules.map((rule: { index: number }) => rule.index)).toEqual([0]);
    expect(jdk.companions.map((companion: { reference: string }) => companion.reference)).toEqual([`${reg}/corp/truststore:1`]);
    expect(jdk.env).toEqual([{ key: "TRUSTSTORE", after: "on" }]);
    const text = await sandbox.ok(["patch", "test", file, `${reg}/team/jdk:17`]);
    expect(text).toContain('#0 "17" -> ');
    expect(text).toContain("    TRUSTSTORE\n      - (unset)\n      + on\n");
    await sandbox.cleanup();
  });

  test("--replace tests a new version of a published descriptor", async () => {
    const sandbox = await patchedSandbox();
    const file = join(sandbox.root, "revised.json");
    await writeFile(file, JSON.stringify({ version: 1, rules: [{ match: "*", packages: [`${reg}/corp/truststore:1`] }] }));
    const published = `${reg}/ocx-patches/${reg.replace(":", "_")}/team/jdk`;
    const report = JSON.parse(await sandbox.ok(["patch", "test", file, `${reg}/team/jdk:17`, "--replace", published, "--json"]));
    const changes = report.packages[0].env;
    expect(changes.map((change: { key: string }) => change.key)).toEqual(["SSL_CERT_FILE", "TRUSTSTORE"]);
    expect(changes[0].before).toEndWith("/corp-ca.pem");
    expect(changes[0].after).toEndWith("/cacerts.pem");
    expect(changes[1]).toEqual({ key: "TRUSTSTORE", after: "on" });
    await sandbox.cleanup();
  });

  test("--replace with a repository that is not a patch repository is refused", async () => {
    const sandbox = await patchedSandbox();
    const file = join(sandbox.root, "revised.json");
    await writeFile(file, JSON.stringify({ version: 1, rules: [] }));
    const result = await sandbox.run(["patch", "test", file, `${reg}/team/jdk:17`, "--replace", `${reg}/ocx-patches/typo/team/jdk`]);
    expect(result.stderr).toContain("is not a patch repository of these packages");
    expect(result.stderr).toContain(`${reg}/ocx-patches/${reg.replace(":", "_")}/team/jdk`);
    expect(result.exitCode).toBe(64);
    await sandbox.cleanup();
  });

  test("fails with 65 on a descriptor error", async () => {
    const sandbox = await patchedSandbox();
    const file = join(sandbox.root, "bad.json");
    await writeFile(file, JSON.stringify({ version: 1, rules: [{ match: "*", packages: ["no-registry"] }] }));
    const result = await sandbox.run(["patch", "test", file, `${reg}/team/jdk:17`]);
    expect(result.stderr).toContain("PATCH_DESCRIPTOR_INVALID");
    expect(result.exitCode).toBe(65);
    await sandbox.cleanup();
  });

  test("fails when a required companion does not resolve", async () => {
    const sandbox = await patchedSandbox();
    const file = join(sandbox.root, "missing.json");
    await writeFile(file, JSON.stringify({ version: 1, rules: [{ match: "*", packages: [`${reg}/corp/missing:1`] }] }));
    const result = await sandbox.run(["patch", "test", file, `${reg}/team/jdk:17`]);
    expect(result.stderr).toContain("GRAPH_COMPANION_FAILED");
    expect(result.exitCode).toBe(65);
    await sandbox.cleanup();
  });
});
