import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { Sandbox, toolPackage } from "./harness.ts";

let registry: TestRegistry;
let publisher: Sandbox;
let reg: string;

const constant = (key: string, value: string) => ({
  metadata: { type: "bundle", version: 1, env: [{ key, type: "constant", value }] },
  files: { [`${key}.txt`]: value },
});

beforeAll(async () => {
  registry = await startRegistry();
  reg = registry.host;
  publisher = await Sandbox.create();
  await publisher.publish(`${reg}/team/base:1`, toolPackage("base", "base"));
  await publisher.publish(`${reg}/corp/from-ts:1`, constant("FROM_TS_COMPANION", "ts"));
  await publisher.publish(`${reg}/corp/from-js:1`, constant("FROM_JS_COMPANION", "js"));
});

afterAll(async () => {
  await publisher?.cleanup();
  await registry?.stop();
});

/** Creates a sandbox whose $OCX_HOME/plugins contains the given files. */
async function sandboxWithPlugins(files: Record<string, string>): Promise<Sandbox> {
  const sandbox = await Sandbox.create();
  await mkdir(join(sandbox.home, "plugins"), { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(sandbox.home, "plugins", name), text);
  return sandbox;
}

const tsPlugin = () => `
import { definePlugin, type PackageInfo } from "ocx/plugin";
const companion: string = "${reg}/corp/from-ts:1";
export default definePlugin({
  name: "ts-corp",
  apiVersion: 1,
  patchSources: [{ name: "ts-source", companions: (pkg: PackageInfo) => pkg.repository === "team/base" ? [companion] : [] }],
  edges: (nodes) => nodes.some((node) => node.id === companion) ? [{ before: "${reg}/corp/from-js:1", after: companion }] : [],
  transformEnv: async (env) => ({ FROM_TS_PLUGIN: env.FROM_JS_COMPANION ?? "missing" }),
});
`;

const jsPlugin = () => `
import { definePlugin } from "ocx/plugin";
export default definePlugin({
  name: "js-corp",
  apiVersion: 1,
  patchSources: [{ name: "js-source", companions: async () => [{ reference: "${reg}/corp/from-js:1", rule: "js rule" }] }],
  edges: () => [{ before: "not/in:graph", after: "ignored/too:1" }],
  transformEnv: () => ({ FROM_JS_PLUGIN: "yes", UNSET_ME: undefined }),
});
`;

describe("user plugins", () => {
  test("a .ts and a .js plugin add companions, edges and transforms", async () => {
    const sandbox = await sandboxWithPlugins({ "a-corp.ts": tsPlugin(), "b-corp.js": jsPlugin() });
    const deps = JSON.parse(await sandbox.ok(["deps", "--json", `${reg}/team/base:1`]));
    const order = deps.order.map((node: { identifier: string }) => node.identifier);
    // Without the plugin edge, from-js (tie, "corp/from-js" < "corp/from-ts") would come first anyway;
    // the edge from-js -> from-ts must be present and respected.
    expect(deps.edges).toContainEqual({ before: `${reg}/corp/from-js:1`, after: `${reg}/corp/from-ts:1`, kind: "plugin", rule: "ts-corp" });
    expect(order.indexOf(`${reg}/corp/from-js:1`)).toBeLessThan(order.indexOf(`${reg}/corp/from-ts:1`));
    expect(order[0]).toBe(`${reg}/team/base:1`);

    const result = await sandbox.run(["env", "--json", `${reg}/team/base:1`], { env: { UNSET_ME: "x" } });
    const document = JSON.parse(result.stdout);
    expect(document.env.FROM_TS_COMPANION).toBe("ts");
    expect(document.env.FROM_JS_COMPANION).toBe("js");
    expect(document.env.FROM_TS_PLUGIN).toBe("js");
    expect(document.env.FROM_JS_PLUGIN).toBe("yes");
    expect(document.origins.FROM_JS_PLUGIN).toEqual([{ id: "js-corp", role: "plugin", action: "set", value: "yes" }]);
    expect(result.exitCode).toBe(0);

    const shell = await sandbox.ok(["env", "--shell", "bash", "--show-patches", `${reg}/team/base:1`], { env: { UNSET_ME: "x" } });
    expect(shell).toContain("export FROM_JS_PLUGIN='yes'\n# [plugin: js-corp]");
    expect(shell).toContain("unset -v UNSET_ME");
    await sandbox.cleanup();
  });

  test("plugin list shows origins and hooks", async () => {
    const sandbox = await sandboxWithPlugins({ "a-corp.ts": tsPlugin() });
    const { plugins } = JSON.parse(await sandbox.ok(["plugin", "list", "--json"]));
    expect(plugins.map((plugin: { name: string }) => plugin.name)).toEqual(["patch-registry", "patch-file", "mirror", "ts-corp"]);
    const corp = plugins.find((plugin: { name: string }) => plugin.name === "ts-corp");
    expect(corp.origin).toBe(join(sandbox.home, "plugins", "a-corp.ts"));
    expect(corp.hooks).toEqual(["patchSources", "edges", "transformEnv"]);
    await sandbox.cleanup();
  });

  test("config paths load a plugin relative to the config file", async () => {
    const sandbox = await Sandbox.create();
    await mkdir(join(sandbox.home, "extra"), { recursive: true });
    await writeFile(join(sandbox.home, "extra", "corp.js"), jsPlugin());
    await sandbox.writeUserConfig('[plugins]\npaths = ["extra/corp.js"]\n');
    const { env } = JSON.parse(await sandbox.ok(["env", "--json", `${reg}/team/base:1`]));
    expect(env.FROM_JS_PLUGIN).toBe("yes");
    await sandbox.cleanup();
  });

  test("the system tier restricts plugins by path before running them", async () => {
    const marker = join(tmpdir(), `ocx-plugin-ran-${process.pid}`);
    const sandbox = await sandboxWithPlugins({
      "sneaky.js": `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(marker)}, "ran");\nexport default { name: "allowed-name", apiVersion: 1 };\n`,
    });
    const allowedFolder = join(sandbox.root, "approved");
    await mkdir(allowedFolder);
    await writeFile(join(allowedFolder, "corp.js"), jsPlugin());
    await writeFile(sandbox.systemConfig, `[plugins]\nallow = ["${allowedFolder}"]\n`);

    const refused = await sandbox.run(["env", `${reg}/team/base:1`]);
    expect(refused.stderr).toContain("PLUGIN_NOT_ALLOWED");
    expect(refused.stderr).toContain("sneaky.js");
    expect(refused.exitCode).toBe(64);
    expect(existsSync(marker)).toBe(false);

    await rm(join(sandbox.home, "plugins", "sneaky.js"));
    await sandbox.writeUserConfig(`[plugins]\npaths = ["${allowedFolder}"]\n`);
    const { env } = JSON.parse(await sandbox.ok(["env", "--json", `${reg}/team/base:1`]));
    expect(env.FROM_JS_PLUGIN).toBe("yes");
    await sandbox.cleanup();
  });

  test("plugin new writes a plugin that loads", async () => {
    const sandbox = await Sandbox.create();
    await sandbox.ok(["plugin", "new", "starter", "--dir", sandbox.root]);
    await sandbox.writeUserConfig(`[plugins]\npaths = ["${join(sandbox.root, "starter")}"]\n`);
    const { plugins } = JSON.parse(await sandbox.ok(["plugin", "list", "--json"]));
    expect(plugins.map((plugin: { name: string }) => plugin.name)).toContain("starter");
    await sandbox.cleanup();
  });
});

describe("broken plugins", () => {
  test.each([
    ["throws", "transformEnv: () => { throw new Error('boom'); }", "PLUGIN_HOOK_FAILED", 'plugin "broken" failed in transformEnv: boom'],
    ["returns bad data", "transformEnv: () => ({ A: 42 })", "PLUGIN_RESULT_INVALID", 'plugin "broken" returned invalid data from transformEnv'],
    ["hangs", "transformEnv: () => new Promise(() => setInterval(() => {}, 1000))", "PLUGIN_HOOK_TIMEOUT", 'plugin "broken" timed out in transformEnv'],
    ["has a bad patch source", "patchSources: [{ name: 'x', companions: () => 'not-a-list' }]", "PLUGIN_RESULT_INVALID", 'patchSources["x"].companions'],
    ["loops without yielding", "transformEnv: () => { for (;;) {} }", "PLUGIN_HOOK_TIMEOUT", 'plugin "broken" is stuck in transformEnv'],
    ["calls process.exit", "transformEnv: () => process.exit(0)", "PLUGIN_HOOK_FAILED", "a plugin called process.exit(0)"],
  ])("a plugin that %s fails cleanly and installs nothing", async (_name, hook, code, message) => {
    const sandbox = await sandboxWithPlugins({
      "broken.js": `import { definePlugin } from "ocx/plugin";\nexport default definePlugin({ name: "broken", apiVersion: 1, ${hook} });\n`,
    });
    await sandbox.writeUserConfig("[plugins]\ntimeout_ms = 300\n");
    const result = await sandbox.run(["exec", `${reg}/team/base:1`, "--", "base"]);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(code);
    expect(result.stderr).toContain(message);
    expect(result.exitCode).not.toBe(0);
    expect(existsSync(join(sandbox.home, "objects"))).toBe(false);
    await sandbox.cleanup();
  });

  test("plugin output never reaches stdout", async () => {
    const sandbox = await sandboxWithPlugins({
      "chatty.js": `import { definePlugin } from "ocx/plugin";\nconsole.log("echo loaded; touch /tmp/pwned");\nexport default definePlugin({ name: "chatty", apiVersion: 1, transformEnv: () => { console.log("log"); process.stdout.write("write\\n"); return undefined; } });\n`,
    });
    const result = await sandbox.run(["env", "--shell", "bash", `${reg}/team/base:1`]);
    expect(result.stdout).toMatch(/^export PATH='[^']*'\n$/);
    expect(result.stderr).toContain("echo loaded");
    expect(result.stderr).toContain("write");
    expect(result.exitCode).toBe(0);
    await sandbox.cleanup();
  });

  test("a plugin with a syntax error names its file", async () => {
    const sandbox = await sandboxWithPlugins({ "bad.ts": "export default definePlugin({" });
    const result = await sandbox.run(["env", `${reg}/team/base:1`]);
    expect(result.stderr).toContain("PLUGIN_LOAD_FAILED");
    expect(result.stderr).toContain("bad.ts");
    await sandbox.cleanup();
  });

  test("a plugin for another API version is refused", async () => {
    const sandbox = await sandboxWithPlugins({ "future.js": 'export default { name: "future", apiVersion: 2 };' });
    const result = await sandbox.run(["env", `${reg}/team/base:1`]);
    expect(result.stderr).toContain("needs plugin API version 2");
    expect(result.exitCode).toBe(65);
    await sandbox.cleanup();
  });
});

describe("mirror plugin", () => {
  test("aliases a public registry to another one", async () => {
    const sandbox = await Sandbox.create();
    await sandbox.writeUserConfig(`[plugin.mirror]\n"alias.example" = ["127.0.0.1:9", "${reg}"]\n`);
    const result = await sandbox.run(["install", "alias.example/team/base:1"]);
    expect(result.stderr).toContain('mirror "127.0.0.1:9/team/base:1" failed');
    expect(result.exitCode).toBe(0);
    const run = await sandbox.run(["exec", "--offline", "alias.example/team/base:1", "--", "base"]);
    expect(run.stdout).toBe("base\n");
    await sandbox.cleanup();
  });

  test("rejects settings that are not lists", async () => {
    const sandbox = await Sandbox.create();
    await sandbox.writeUserConfig('[plugin.mirror]\n"alias.example" = "one"\n');
    const result = await sandbox.run(["install", "alias.example/team/base:1"]);
    expect(result.stderr).toContain('plugin "mirror" failed in rewriteReference');
    expect(result.exitCode).not.toBe(0);
    await sandbox.cleanup();
  });
});

describe("[mirrors] with a public name", () => {
  test("pulls a public reference from the configured mirror", async () => {
    const sandbox = await Sandbox.create();
    await sandbox.writeUserConfig(`[mirrors]\n"public.example" = ["${reg}"]\n`);
    const stdout = await sandbox.ok(["install", "public.example/team/base:1"]);
    expect(stdout).toContain("public.example/team/base:1");
    expect(existsSync(join(sandbox.home, "installs", "public.example", "team", "base", "candidates", "1"))).toBe(true);
    const run = await sandbox.run(["exec", "--offline", "public.example/team/base:1", "--", "base"]);
    expect(run.stdout).toBe("base\n");
    await sandbox.cleanup();
  });

  test("falls back to the next mirror", async () => {
    const sandbox = await Sandbox.create();
    await sandbox.writeUserConfig(`[mirrors]\n"public.example" = ["127.0.0.1:9", "${reg}"]\n`);
    const result = await sandbox.run(["install", "public.example/team/base:1"]);
    expect(result.stderr).toContain('mirror "127.0.0.1:9" failed');
    expect(result.exitCode).toBe(0);
    await sandbox.cleanup();
  });
});

describe("patch-file plugin", () => {
  test("applies rules from a local descriptor", async () => {
    const sandbox = await Sandbox.create();
    const file = join(sandbox.root, "rules.json");
    await writeFile(file, JSON.stringify({ version: 1, rules: [{ match: "*", packages: [`${reg}/corp/from-ts:1`] }] }));
    await sandbox.writeUserConfig(`[plugin.patch-file]\npaths = ["${file}"]\n`);
    const { env } = JSON.parse(await sandbox.ok(["env", "--json", `${reg}/team/base:1`]));
    expect(env.FROM_TS_COMPANION).toBe("ts");
    await sandbox.cleanup();
  });
});
