import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startGatedProxy, type GatedProxy } from "../helpers/gated-proxy.ts";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { Sandbox, toolPackage } from "./harness.ts";

// Case 34: once the registry host hangs (accepts, never answers), installed
// tags still resolve from the local index at once, and offline runs send
// nothing at all.
let registry: TestRegistry;
let proxy: GatedProxy;
let publisher: Sandbox;
let sandbox: Sandbox;
let firstDigest: string;

beforeAll(async () => {
  registry = await startRegistry();
  proxy = startGatedProxy(registry.url);
  publisher = await Sandbox.create();
  await publisher.publish(`${registry.host}/team/tool:1.0`, toolPackage("tool", "d1"));
  await publisher.publish(`${registry.host}/team/tool:latest`, toolPackage("tool", "d1"));
  await publisher.publish(`${registry.host}/team/other:1.0`, toolPackage("other", "other"));

  sandbox = await Sandbox.create();
  const installed = JSON.parse(await sandbox.ok(["install", "--json", `${proxy.host}/team/tool:1.0`, `${proxy.host}/team/tool:latest`]));
  firstDigest = installed.packages[0].digest;
  // Upstream moves latest; the local index keeps the synced digest.
  await publisher.publish(`${registry.host}/team/tool:latest`, toolPackage("tool", "d2"));
  proxy.hang();
});

afterAll(async () => {
  await sandbox?.cleanup();
  await publisher?.cleanup();
  await proxy?.stop();
  await registry?.stop();
});

async function timed(args: string[], env: Record<string, string> = {}) {
  const requestsBefore = proxy.requests.length;
  const started = performance.now();
  const result = await sandbox.run(args, { env });
  return { ...result, ms: performance.now() - started, requests: proxy.requests.length - requestsBefore };
}

describe("offline against a hanging registry (case 34)", () => {
  test("env of an installed tag needs no flag and no request", async () => {
    const result = await timed(["env", "--shell", "bash", `${proxy.host}/team/tool:1.0`]);
    expect(result.exitCode).toBe(0);
    expect(result.requests).toBe(0);
    expect(result.ms).toBeLessThan(1000);
  });

  test("--offline resolves latest to the digest synced before it moved", async () => {
    const result = await timed(["env", "--offline", "--json", `${proxy.host}/team/tool:latest`]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(firstDigest.slice("sha256:".length));
    expect(result.requests).toBe(0);
    expect(result.ms).toBeLessThan(1000);
  });

  test("OCX_OFFLINE=1 exec runs the synced tool", async () => {
    const result = await timed(["exec", `${proxy.host}/team/tool:latest`, "--", "tool"], { OCX_OFFLINE: "1" });
    expect(result.stdout).toBe("d1\n");
    expect(result.requests).toBe(0);
    expect(result.ms).toBeLessThan(1000);
  });

  test("an offline install of a missing package fails fast with exit 69", async () => {
    const result = await timed(["install", `${proxy.host}/team/other:1.0`], { OCX_OFFLINE: "1" });
    expect(result.exitCode).toBe(69);
    expect(result.stderr.trim().split("\n")[0]).toContain("offline");
    expect(result.requests).toBe(0);
    expect(result.ms).toBeLessThan(1000);
  });

  test("an online install against the hanging host gives up naming it", async () => {
    const result = await timed(["install", `${proxy.host}/team/other:1.0`]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain(proxy.host);
    // The client bounds connecting and waiting for headers at 30 s per request.
    expect(result.ms).toBeLessThan(35_000);
  }, 40_000);
});
