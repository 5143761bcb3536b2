import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { appendFile, mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { Sandbox, toolPackage } from "./harness.ts";
import { leftovers } from "./store-fixtures.ts";

let registry: TestRegistry;
let publisher: Sandbox;
let reg: string;

beforeAll(async () => {
  registry = await startRegistry();
  reg = registry.host;
  publisher = await Sandbox.create();
  await publisher.publish(`${reg}/team/hello:1.0`, toolPackage("hello", "hello"));
  // 32 MB of zeros: a small layer that needs far more room extracted.
  await publisher.publish(`${reg}/team/fat:1.0`, toolPackage("fat", "fat", { files: { "zeros.bin": "\0".repeat(32 * 1024 * 1024) } }));
});

afterAll(async () => {
  await publisher?.cleanup();
  await registry?.stop();
});

function run(command: string[]): { exitCode: number; stderr: string } {
  const result = Bun.spawnSync(command, { stderr: "pipe" });
  return { exitCode: result.exitCode, stderr: result.stderr.toString() };
}

/** Mounts a tmpfs of `size` at `dir`; needs root, so tests skip where mounting is not allowed. */
function mountTmpfs(dir: string, size: string): boolean {
  return run(["mount", "-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]).exitCode === 0;
}

function usedKiB(dir: string): number {
  return Number(Bun.spawnSync(["du", "-sk", dir]).stdout.toString().split("\t")[0]);
}

const canMount = (() => {
  if (process.getuid?.() !== 0) return false;
  const probe = join(require("node:os").tmpdir(), `ocx-mount-probe-${process.pid}`);
  require("node:fs").mkdirSync(probe, { recursive: true });
  const isMounted = mountTmpfs(probe, "1m");
  if (isMounted) run(["umount", probe]);
  return isMounted;
})();

describe("a full disk (case 32)", () => {
  test.skipIf(!canMount)("fails with exit 74, cleans up and keeps what was installed", async () => {
    const sandbox = await Sandbox.create();
    const home = join(sandbox.root, "small-home");
    await mkdir(home);
    expect(mountTmpfs(home, "8m")).toBe(true);
    try {
      const env = { OCX_HOME: home };
      await sandbox.ok(["install", `${reg}/team/hello:1.0`], { env });
      const before = usedKiB(home);

      const failed = await sandbox.run(["install", `${reg}/team/fat:1.0`], { env });
      expect(failed.exitCode).toBe(74);
      expect(failed.stderr).toContain("ENOSPC");
      expect(failed.stderr).toContain(home);
      const exec = await sandbox.run(["exec", `${reg}/team/fat:1.0`, "--", "fat"], { env });
      expect(exec.exitCode).not.toBe(0);
      expect(exec.stdout).toBe("");
      expect(await sandbox.ok(["exec", `${reg}/team/hello:1.0`, "--", "hello"], { env })).toBe("hello\n");
      expect(usedKiB(home)).toBeLessThan(before + 64);
      expect(await sandbox.ok(["verify"], { env })).toContain("no problems");
      expect(await leftovers(home)).toEqual([]);

      expect(run(["mount", "-o", "remount,size=64m", home]).exitCode).toBe(0);
      await sandbox.ok(["install", `${reg}/team/fat:1.0`], { env });
      expect(await sandbox.ok(["exec", `${reg}/team/fat:1.0`, "--", "fat"], { env })).toBe("fat\n");
    } finally {
      run(["umount", "-l", home]);
      await sandbox.cleanup();
    }
  });
});

describe("a read-only home", () => {
  test.skipIf(!canMount)("still runs what it holds and refuses installs with exit 74", async () => {
    const sandbox = await Sandbox.create();
    const home = join(sandbox.root, "ro-home");
    await mkdir(home);
    expect(mountTmpfs(home, "16m")).toBe(true);
    try {
      const env = { OCX_HOME: home };
      await sandbox.ok(["install", `${reg}/team/hello:1.0`], { env });
      expect(run(["mount", "-o", "remount,ro", home]).exitCode).toBe(0);

      expect(await sandbox.ok(["exec", `${reg}/team/hello:1.0`, "--", "hello"], { env })).toBe("hello\n");
      expect(await sandbox.ok(["env", `${reg}/team/hello:1.0`], { env })).toContain("PATH");
      const install = await sandbox.run(["install", `${reg}/team/fat:1.0`], { env });
      expect(install.exitCode).toBe(74);
      expect(install.stderr).toContain("EROFS");
      expect(install.stderr).not.toContain("internal error");
    } finally {
      run(["umount", "-l", home]);
      await sandbox.cleanup();
    }
  });
});

describe("ocx verify", () => {
  test("reports a changed file, a damaged metadata.json and a dangling link", async () => {
    const sandbox = await Sandbox.create();
    await sandbox.ok(["install", `${reg}/team/hello:1.0`]);
    expect(await sandbox.ok(["verify"])).toContain("checked 1 object(s): no problems");

    const objects = join(sandbox.home, "objects", "sha256");
    const [hex] = await readdir(objects);
    await appendFile(join(objects, hex!, "content", "bin", "hello"), "echo injected\n");
    const changed = await sandbox.run(["verify", "--json"]);
    expect(changed.exitCode).toBe(65);
    const report = JSON.parse(changed.stdout);
    expect(report.problems).toEqual([
      expect.objectContaining({ kind: "broken-object", digest: `sha256:${hex}`, message: expect.stringContaining("content/ differs") }),
    ]);

    await writeFile(join(objects, hex!, "metadata.json"), "{}");
    expect((await sandbox.run(["verify"])).stdout).toContain("metadata.json has digest");

    await rm(join(objects, hex!), { recursive: true });
    const dangling = await sandbox.run(["verify"]);
    expect(dangling.stdout).toContain("dangling-link");
    expect(dangling.exitCode).toBe(65);
    await sandbox.ok(["install", `${reg}/team/hello:1.0`]);
    expect(await sandbox.ok(["verify"])).toContain("no problems");
    await sandbox.cleanup();
  });
});
