import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { startGatedProxy, type GatedProxy } from "../helpers/gated-proxy.ts";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { OCX_BINARY, Sandbox } from "./harness.ts";
import { bigPackage, layerOf, leftovers } from "./store-fixtures.ts";

let registry: TestRegistry;
let proxy: GatedProxy;
let publisher: Sandbox;
let layerDigest: string;
let layerSize: number;
let reference: string;

beforeAll(async () => {
  registry = await startRegistry();
  proxy = startGatedProxy(registry.url);
  publisher = await Sandbox.create();
  await publisher.publish(`${registry.host}/team/crash:1`, bigPackage("crash"));
  layerDigest = await layerOf(registry.url, "team/crash", "1");
  const head = await fetch(`${registry.url}/v2/team/crash/blobs/${layerDigest}`, { method: "HEAD" });
  layerSize = Number(head.headers.get("content-length"));
  reference = `${proxy.host}/team/crash:1`;
});

afterAll(async () => {
  await publisher?.cleanup();
  await proxy?.stop();
  await registry?.stop();
});

async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await Bun.sleep(1);
}

function hasEntry(dir: string, pattern: RegExp): () => Promise<boolean> {
  return async () => (await readdir(dir, { recursive: true }).catch(() => [] as string[])).some((name) => pattern.test(name));
}

type Moment = { name: string; arm: (home: string) => { reached: Promise<void>; release: () => void } };

// 16 byte offsets inside the layer, then points after the download.
const moments: Moment[] = [
  ...Array.from({ length: 16 }, (_, index): Moment => ({
    name: `layer byte ${index}/16`,
    arm: () => {
      const gate = proxy.hold(layerDigest, Math.floor((layerSize * index) / 16));
      return { reached: gate.paused, release: gate.release };
    },
  })),
  ...[
    ["temporary folder created", (home: string) => hasEntry(join(home, "tmp"), /^install-/)],
    ["content extracted", (home: string) => hasEntry(join(home, "tmp"), /content\/bin\/crash$/)],
    ["object renamed into place", (home: string) => hasEntry(join(home, "objects"), /metadata\.json$/)],
    ["tag recorded in the index", (home: string) => hasEntry(join(home, "index"), /crash\.json$/)],
  ].map(([name, probe]): Moment => ({
    name: name as string,
    arm: (home) => ({ reached: until((probe as (home: string) => () => Promise<boolean>)(home)), release: () => {} }),
  })),
];

describe("an install killed at any moment", () => {
  test.each(moments.map((moment, index) => [index + 1, moment.name, moment] as const))(
    "moment %d (%s) leaves nothing or a complete object",
    async (_index, _name, moment) => {
      const sandbox = await Sandbox.create();
      const gate = moment.arm(sandbox.home);
      const child = Bun.spawn([OCX_BINARY, "install", reference], { env: sandbox.env(), cwd: sandbox.cwd, stdout: "ignore", stderr: "ignore" });
      await Promise.race([gate.reached, child.exited]);
      child.kill(9);
      await child.exited;
      gate.release();

      const first = JSON.parse((await sandbox.run(["verify", "--json"])).stdout);
      expect(first.problems.filter((problem: { kind: string }) => problem.kind !== "leftover")).toEqual([]);
      const objects = join(sandbox.home, "objects", "sha256");
      for (const hex of await readdir(objects).catch(() => [] as string[])) {
        expect(existsSync(join(objects, hex, "content", "bin", "crash"))).toBe(true);
      }

      await sandbox.ok(["install", reference]);
      expect(await sandbox.ok(["verify"])).toContain("no problems");
      expect(await leftovers(sandbox.home)).toEqual([]);
      expect(await sandbox.ok(["exec", "--offline", reference, "--", "crash"])).toBe("crash\n");
      await sandbox.cleanup();
    },
  );
});
