import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import { startGatedProxy, type GatedProxy } from "../helpers/gated-proxy.ts";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { bigPackage, layerOf, leftovers } from "./store-fixtures.ts";
import { OCX_BINARY, Sandbox, toolPackage } from "./harness.ts";

let registry: TestRegistry;
let proxy: GatedProxy;
let publisher: Sandbox;
let layerDigest: string;
let big: string;

beforeAll(async () => {
  registry = await startRegistry();
  proxy = startGatedProxy(registry.url);
  publisher = await Sandbox.create();
  await publisher.publish(`${registry.host}/team/big:1`, bigPackage("big"));
  for (let index = 1; index <= 4; index += 1) {
    await publisher.publish(`${registry.host}/team/small:s${index}`, toolPackage("small", `s${index}`));
  }
  layerDigest = await layerOf(registry.url, "team/big", "1");
  big = `${proxy.host}/team/big:1`;
});

afterAll(async () => {
  await publisher?.cleanup();
  await proxy?.stop();
  await registry?.stop();
});

function spawn(sandbox: Sandbox, args: string[]) {
  const child = Bun.spawn([OCX_BINARY, ...args], { env: sandbox.env(), cwd: sandbox.cwd, stdout: "pipe", stderr: "pipe" });
  return Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
    .then(([stdout, stderr, exitCode]) => ({ stdout, stderr, exitCode }));
}

/** Starts `count` runs while the big layer is held, releasing it once every run asked for its manifest. */
async function overlapping(sandbox: Sandbox, runs: string[][], manifests = runs.length) {
  const manifestsBefore = proxy.gets("/manifests/");
  const layersBefore = proxy.gets(layerDigest);
  const gate = proxy.hold(layerDigest, 256 * 1024);
  const results = Promise.all(runs.map((args) => spawn(sandbox, args)));
  await gate.paused;
  while (proxy.gets("/manifests/") - manifestsBefore < manifests) await Bun.sleep(5);
  gate.release();
  return { results: await results, layerGets: proxy.gets(layerDigest) - layersBefore };
}

describe("concurrent processes on one home (case 30)", () => {
  test.each([1, 2, 3])("8 installs of one package download it once, round %d", async () => {
    const sandbox = await Sandbox.create();
    const { results, layerGets } = await overlapping(sandbox, Array.from({ length: 8 }, () => ["install", big]));
    for (const result of results) {
      expect(result.stderr).not.toMatch(/EEXIST|ENOENT|File exists|not found/);
      expect(result.exitCode).toBe(0);
    }
    expect(layerGets).toBe(1);
    const objects = await readdir(join(sandbox.home, "objects", "sha256"));
    expect(objects.length).toBe(1);
    const link = join(sandbox.home, "installs", proxy.host.replace(":", "_"), "team", "big", "candidates", "1");
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toStartWith("../");
    expect(await sandbox.ok(["verify"])).toContain("no problems");
    expect(await leftovers(sandbox.home)).toEqual([]);
    await sandbox.cleanup();
  });

  test("8 execs that install on demand all run the complete tool", async () => {
    const sandbox = await Sandbox.create();
    const { results, layerGets } = await overlapping(sandbox, Array.from({ length: 8 }, () => ["exec", big, "--", "sh", "-c", "big && test -s \"$(dirname \"$(command -v big)\")/../data.txt\""]));
    for (const result of results) {
      expect(result.stdout).toBe("big\n");
      expect(result.exitCode).toBe(0);
    }
    expect(layerGets).toBe(1);
    expect(await leftovers(sandbox.home)).toEqual([]);
    await sandbox.cleanup();
  });

  test("same and different packages at once keep every index entry", async () => {
    const sandbox = await Sandbox.create();
    const runs = Array.from({ length: 8 }, (_, index) =>
      index % 2 === 0 ? ["install", big] : ["install", `${proxy.host}/team/small:s${(index + 1) / 2}`]);
    const { results, layerGets } = await overlapping(sandbox, runs);
    for (const result of results) expect(result.exitCode).toBe(0);
    expect(layerGets).toBe(1);
    const index = JSON.parse(await readFile(join(sandbox.home, "index", proxy.host.replace(":", "_"), "tags", "team", "small.json"), "utf8"));
    expect(Object.keys(index.tags).sort()).toEqual(["s1", "s2", "s3", "s4"]);
    for (let tag = 1; tag <= 4; tag += 1) {
      expect(await sandbox.ok(["exec", "--offline", `${proxy.host}/team/small:s${tag}`, "--", "small"])).toBe(`s${tag}\n`);
    }
    expect(await sandbox.ok(["verify"])).toContain("no problems");
    await sandbox.cleanup();
  });

  test("clean running beside installs never breaks them", async () => {
    const sandbox = await Sandbox.create();
    const runs = [["install", big], ["clean"], ["install", `${proxy.host}/team/small:s1`], ["clean"], ["install", big], ["clean"]];
    // Installs that start while clean runs wait for it, so only the first is sure to ask.
    const { results } = await overlapping(sandbox, runs, 1);
    for (const result of results) expect(result.exitCode).toBe(0);
    expect(await sandbox.ok(["exec", "--offline", big, "--", "big"])).toBe("big\n");
    expect(await sandbox.ok(["verify"])).toContain("no problems");
    await sandbox.cleanup();
  });
});
