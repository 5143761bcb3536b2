import { describe, expect, test } from "bun:test";
import type { OcxPlugin, PluginContext } from "../../src/plugin/api.ts";
import { PLUGIN_HOOK_FAILED, PLUGIN_HOOK_TIMEOUT, PLUGIN_RESULT_INVALID } from "../../src/plugin/errors.ts";
import { PluginHost } from "../../src/plugin/plugin-host.ts";
import type { ComposeResult } from "../../src/env/types.ts";

const context: PluginContext = {
  config: {},
  isOffline: true,
  isRefreshing: false,
  log: { info() {}, warn() {}, debug() {} },
  readArtifact: async () => ({ state: "absent" }),
};

function host(...plugins: OcxPlugin[]): PluginHost {
  return new PluginHost(plugins.map((plugin) => ({ plugin, origin: "test" })), { context, timeoutMs: 200 });
}

const pkg = { reference: "r.example/a:1", registry: "r.example", repository: "a", tag: "1", digest: `sha256:${"0".repeat(64)}` };
const composed: ComposeResult = { env: { A: "1" }, changed: ["A"], unset: [], origins: {}, conflicts: [] };

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error("expected the hook call to fail");
}

describe("PluginHost", () => {
  test("joins companions in plugin order", async () => {
    const companions = await host(
      { name: "one", apiVersion: 1, patchSources: [{ name: "s", companions: () => ["r.example/x:1"] }] },
      { name: "two", apiVersion: 1, patchSources: [{ name: "t", companions: async () => [{ reference: "r.example/y:1", required: false, rule: "mine" }] }] },
    ).companionsFor(pkg);
    expect(companions).toEqual([
      { reference: "r.example/x:1", required: true, rule: undefined, source: "one/s" },
      { reference: "r.example/y:1", required: false, rule: "mine", source: "two/t" },
    ]);
  });

  test("applies transforms in order with origins", async () => {
    const result = await host(
      { name: "one", apiVersion: 1, transformEnv: () => ({ B: "2" }) },
      { name: "two", apiVersion: 1, transformEnv: (env) => ({ C: `${env.B}3`, A: undefined }) },
    ).transformEnv(composed);
    expect(result.env).toEqual({ B: "2", C: "23" });
    expect(result.unset).toEqual(["A"]);
    expect(result.origins.C).toEqual([{ id: "two", role: "plugin", action: "set", value: "23" }]);
  });

  test("gives a frozen copy of the environment", async () => {
    const result = await failure(host({ name: "mutator", apiVersion: 1, transformEnv: (env) => {
      (env as Record<string, string>).A = "changed";
      return undefined;
    } }).transformEnv(composed));
    expect(result.code).toBe(PLUGIN_HOOK_FAILED);
  });

  test("puts rewrites before the original reference", async () => {
    const candidates = await host(
      { name: "m", apiVersion: 1, rewriteReference: (reference) => [`mirror.example/${reference}`, "other.example/a:1"] },
    ).referenceCandidates("r.example/a:1");
    expect(candidates).toEqual(["mirror.example/r.example/a:1", "other.example/a:1", "r.example/a:1"]);
  });

  test("merges request headers", async () => {
    const headers = await host(
      { name: "a", apiVersion: 1, requestHeaders: () => ({ "X-One": "1" }) },
      { name: "b", apiVersion: 1, requestHeaders: (hostName) => (hostName === "r.example" ? { "X-Two": "2" } : undefined) },
    ).requestHeaders("r.example");
    expect(headers).toEqual({ "X-One": "1", "X-Two": "2" });
  });

  test("names the plugin and hook of a throw", async () => {
    const error = await failure(host({ name: "bad", apiVersion: 1, edges: () => { throw new Error("nope"); } }).edges([]));
    expect(error.code).toBe(PLUGIN_HOOK_FAILED);
    expect(error.message).toBe('plugin "bad" failed in edges: nope');
  });

  test("rejects a result of the wrong shape", async () => {
    const error = await failure(host({ name: "bad", apiVersion: 1, edges: () => [{ before: 1 }] as never }).edges([]));
    expect(error.code).toBe(PLUGIN_RESULT_INVALID);
    expect(error.message).toContain("0.before");
  });

  test("times out a hook that never settles", async () => {
    const error = await failure(host({ name: "slow", apiVersion: 1, requestHeaders: () => new Promise(() => {}) }).requestHeaders("h"));
    expect(error.code).toBe(PLUGIN_HOOK_TIMEOUT);
    expect(error.message).toContain("after 200 ms");
  });
});
