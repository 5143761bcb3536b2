import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { runShell, Sandbox, toolPackage } from "./harness.ts";

let source: TestRegistry;
let target: TestRegistry;
let publisher: Sandbox;

beforeAll(async () => {
  source = await startRegistry();
  target = await startRegistry();
  publisher = await Sandbox.create();
  await publisher.publish(`${source.host}/team/tool:1.0`, toolPackage("tool", "one"));
  await publisher.publish(`${source.host}/team/multi:2`, toolPackage("multi", "two"), ["--platform", "linux/amd64", "--platform", "linux/arm64"]);
});

afterAll(async () => {
  await publisher?.cleanup();
  await source?.stop();
  await target?.stop();
});

async function skopeo(args: string[]): Promise<void> {
  const result = await runShell("sh", `skopeo --insecure-policy copy --src-tls-verify=false --dest-tls-verify=false --quiet ${args.map((arg) => `'${arg}'`).join(" ")}`, {
    PATH: "/usr/bin:/bin",
    HOME: publisher.userHome,
  });
  if (result.exitCode !== 0) throw new Error(`skopeo copy ${args.join(" ")} failed: ${result.stderr}`);
}

describe("bundle and skopeo", () => {
  test("skopeo pushes an exported bundle entry to another registry, which ocx installs", async () => {
    const dir = join(publisher.root, "exported");
    await publisher.ok(["bundle", "export", `${source.host}/team/tool:1.0`, `${source.host}/team/multi:2`, "--output", dir,
      "--platform", "linux/amd64", "--platform", "linux/arm64"]);
    await skopeo([`oci:${dir}:${source.host}/team/tool:1.0`, `docker://${target.host}/mirror/tool:1.0`]);
    await skopeo(["--all", `oci:${dir}:${source.host}/team/multi:2`, `docker://${target.host}/mirror/multi:2`]);

    const sandbox = await Sandbox.create();
    expect(await sandbox.ok(["exec", `${target.host}/mirror/tool:1.0`, "--", "tool"])).toBe("one\n");
    expect(await sandbox.ok(["exec", `${target.host}/mirror/multi:2`, "--", "multi"])).toBe("two\n");
    await sandbox.cleanup();
  });

  test("a layout skopeo wrote imports and runs offline", async () => {
    const dir = join(publisher.root, "from-skopeo");
    const reference = `${source.host}/team/tool:1.0`;
    await skopeo([`docker://${reference}`, `oci:${dir}:${reference}`]);

    const sandbox = await Sandbox.create();
    await sandbox.ok(["bundle", "import", dir]);
    const result = await sandbox.run(["exec", "--offline", reference, "--", "tool"]);
    expect(result.stdout).toBe("one\n");
    expect(result.exitCode).toBe(0);
    await sandbox.cleanup();
  });

  test("a layout entry named without a registry is refused with a hint", async () => {
    const dir = join(publisher.root, "short-name");
    await skopeo([`docker://${source.host}/team/tool:1.0`, `oci:${dir}:tool`]);
    const sandbox = await Sandbox.create();
    const result = await sandbox.run(["bundle", "import", dir]);
    expect(result.exitCode).toBe(65);
    expect(result.stderr).toContain('entry "tool" is not a full reference');
    await sandbox.cleanup();
  });
});
