import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { lstat, readlink, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { Sandbox, toolPackage } from "./harness.ts";

let registry: TestRegistry;
let publisher: Sandbox;

beforeAll(async () => {
  registry = await startRegistry();
  publisher = await Sandbox.create();
  const reg = registry.host;
  await publisher.publish(`${reg}/team/hello:1.0`, toolPackage("hello", "hello"));
  await publisher.publish(`${reg}/team/dep:1.0`, toolPackage("tool", "dep"));
  await publisher.publish(`${reg}/team/app:1.0`, {
    metadata: {
      type: "bundle",
      version: 1,
      env: [
        { key: "PATH", type: "path", value: "${installPath}/bin" },
        { key: "APP_DEP", type: "constant", value: "${deps.dep.installPath}" },
      ],
      dependencies: [{ identifier: `${reg}/team/dep:1.0`, name: "dep" }],
    },
    files: { "bin/app": { content: "#!/bin/sh\necho app; tool\n", mode: 0o755 } },
  });
  await publisher.publish(`${reg}/team/multi:1.0`, toolPackage("multi", "multi"), [
    "--platform",
    "linux/amd64",
    "--platform",
    "linux/arm64",
  ]);
});

afterAll(async () => {
  await publisher?.cleanup();
  await registry?.stop();
});

describe("ocx install", () => {
  test("installs a package into the store", async () => {
    const sandbox = await Sandbox.create();
    const stdout = await sandbox.ok(["install", `${registry.host}/team/hello:1.0`]);
    expect(stdout).toContain(`${registry.host}/team/hello:1.0`);
    const objects = await readdir(join(sandbox.home, "objects", "sha256"));
    expect(objects).toHaveLength(1);
    await sandbox.cleanup();
  });

  test("links the tag relatively", async () => {
    const sandbox = await Sandbox.create();
    await sandbox.ok(["install", `${registry.host}/team/hello:1.0`]);
    const slug = registry.host.replace(":", "_");
    const link = join(sandbox.home, "installs", slug, "team", "hello", "candidates", "1.0");
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toStartWith("../");
    expect((await stat(join(link, "content", "bin", "hello"))).mode & 0o111).not.toBe(0);
    await sandbox.cleanup();
  });

  test("installs dependencies transitively", async () => {
    const sandbox = await Sandbox.create();
    const stdout = await sandbox.ok(["install", "--json", `${registry.host}/team/app:1.0`]);
    const roles = JSON.parse(stdout).packages.map((item: { identifier: string; role: string }) => [item.identifier, item.role]);
    expect(roles).toEqual([
      [`${registry.host}/team/dep:1.0`, "dependency"],
      [`${registry.host}/team/app:1.0`, "root"],
    ]);
    await sandbox.cleanup();
  });

  test("picks this platform from an image index", async () => {
    const sandbox = await Sandbox.create();
    const output = await sandbox.ok(["exec", `${registry.host}/team/multi:1.0`, "--", "multi"]);
    expect(output).toBe("multi\n");
    await sandbox.cleanup();
  });

  test("fails for a missing tag with a hint", async () => {
    const sandbox = await Sandbox.create();
    const result = await sandbox.run(["install", `${registry.host}/team/hello:9.9`]);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("OCI_MANIFEST_NOT_FOUND");
    expect(result.stderr).toContain("hint:");
    expect(result.exitCode).not.toBe(0);
    expect(await readdir(sandbox.home).catch(() => [])).not.toContain("objects");
    await sandbox.cleanup();
  });

  test("rejects an invalid reference as usage error", async () => {
    const sandbox = await Sandbox.create();
    const result = await sandbox.run(["install", "Not A Ref"]);
    expect(result.stderr).toContain("OCI_REFERENCE_INVALID");
    expect(result.exitCode).toBe(64);
    await sandbox.cleanup();
  });

  test("reports errors as JSON under --json", async () => {
    const sandbox = await Sandbox.create();
    const result = await sandbox.run(["install", "--json", `${registry.host}/team/hello:9.9`]);
    const document = JSON.parse(result.stdout);
    expect(document.error.code).toBe("OCI_MANIFEST_NOT_FOUND");
    expect(typeof document.error.hint).toBe("string");
    await sandbox.cleanup();
  });
});

describe("ocx exec", () => {
  test("runs a tool and its dependency", async () => {
    const sandbox = await Sandbox.create();
    const result = await sandbox.run(["exec", `${registry.host}/team/app:1.0`, "--", "app"]);
    expect(result.stdout).toBe("app\ndep\n");
    expect(result.exitCode).toBe(0);
    await sandbox.cleanup();
  });

  test("passes the exit code through", async () => {
    const sandbox = await Sandbox.create();
    const result = await sandbox.run(["exec", `${registry.host}/team/hello:1.0`, "--", "sh", "-c", "exit 42"]);
    expect(result.exitCode).toBe(42);
    await sandbox.cleanup();
  });

  test("returns 127 for an unknown command", async () => {
    const sandbox = await Sandbox.create();
    const result = await sandbox.run(["exec", `${registry.host}/team/hello:1.0`, "--", "no-such-tool"]);
    expect(result.stderr).toContain("command not found");
    expect(result.exitCode).toBe(127);
    await sandbox.cleanup();
  });

  test("expands dependency tokens at composition time", async () => {
    const sandbox = await Sandbox.create();
    const stdout = await sandbox.ok(["exec", `${registry.host}/team/app:1.0`, "--", "sh", "-c", 'echo "$APP_DEP"']);
    expect(stdout.trim()).toStartWith(join(sandbox.home, "objects", "sha256"));
    expect(stdout.trim()).toEndWith("/content");
    await sandbox.cleanup();
  });

  test("--clean drops the caller's variables", async () => {
    const sandbox = await Sandbox.create();
    const stdout = await sandbox.ok(["exec", "--clean", `${registry.host}/team/hello:1.0`, "--", "/usr/bin/env"], {
      env: { SECRET_CALLER_VAR: "x" },
    });
    expect(stdout).not.toContain("SECRET_CALLER_VAR");
    expect(stdout).toContain("PATH=");
    await sandbox.cleanup();
  });

  test("passes arguments after -- untouched", async () => {
    const sandbox = await Sandbox.create();
    const args = ["-v", "-vv", "--verbose", "--show-patches", "--json", "--offline=1", "--a-b"];
    const result = await sandbox.run(["exec", `${registry.host}/team/hello:1.0`, "--", "sh", "-c", 'printf "%s\n" "$@"', "sh", ...args]);
    expect(result.stdout).toBe(`${args.join("\n")}\n`);
    expect(result.exitCode).toBe(0);
    await sandbox.cleanup();
  });

  test("rejects a value on a boolean flag", async () => {
    const sandbox = await Sandbox.create();
    const result = await sandbox.run(["env", "--offline=1", `${registry.host}/team/hello:1.0`]);
    expect(result.stderr).toContain("takes no value");
    expect(result.exitCode).toBe(64);
    await sandbox.cleanup();
  });

  test("needs a command after --", async () => {
    const sandbox = await Sandbox.create();
    const result = await sandbox.run(["exec", `${registry.host}/team/hello:1.0`]);
    expect(result.stderr).toContain("needs a command");
    expect(result.exitCode).toBe(64);
    await sandbox.cleanup();
  });
});

describe("ocx package push", () => {
  test("rejects metadata with an unknown token", async () => {
    const sandbox = await Sandbox.create();
    const dir = await sandbox.writePackage("bad", {
      metadata: { type: "bundle", version: 1, env: [{ key: "X", type: "constant", value: "${nope}" }] },
    });
    const result = await sandbox.run(["package", "push", dir, `${registry.host}/team/bad:1`]);
    expect(result.stderr).toContain("env[0].value");
    expect(result.stderr).toContain("${nope}");
    expect(result.exitCode).toBe(65);
    const check = Bun.spawnSync(["skopeo", "inspect", "--raw", "--tls-verify=false", `docker://${registry.host}/team/bad:1`]);
    expect(check.exitCode).not.toBe(0);
    await sandbox.cleanup();
  });

  test("rejects a folder without metadata.json", async () => {
    const sandbox = await Sandbox.create();
    const result = await sandbox.run(["package", "push", sandbox.cwd, `${registry.host}/team/bad:2`]);
    expect(result.stderr).toContain("metadata.json");
    expect(result.exitCode).toBe(64);
    await sandbox.cleanup();
  });
});

describe("unwritable output paths", () => {
  test.each([
    ["bundle inventory into a missing folder", (root: string) => ["bundle", "inventory", "--output", `${root}/missing/x.json`], "ENOENT"],
    ["patch freeze onto a folder", (root: string) => ["patch", "freeze", "--output", root], "EISDIR"],
  ])("%s is an I/O error", async (_name, args, code) => {
    const sandbox = await Sandbox.create();
    const result = await sandbox.run(args(sandbox.root));
    expect(result.stderr).toContain("IO_FAILED");
    expect(result.stderr).toContain(code);
    expect(result.stderr).not.toContain("internal error");
    expect(result.exitCode).toBe(74);
    await sandbox.cleanup();
  });
});

describe("secrets in arguments", () => {
  test("doctor never prints a URL's password", async () => {
    const sandbox = await Sandbox.create();
    const result = await sandbox.run(["doctor", "--json", "https://user:hunter2-secret@127.0.0.1:9/"]);
    expect(result.stdout).not.toContain("hunter2-secret");
    expect(result.stderr).not.toContain("hunter2-secret");
    await sandbox.cleanup();
  });

  test("a timeout beyond the timer range is a config error", async () => {
    const sandbox = await Sandbox.create();
    await sandbox.writeUserConfig("[network]\ntimeout_ms = 3000000000\n");
    const result = await sandbox.run(["env", `${registry.host}/team/hello:1.0`]);
    expect(result.stderr).toContain("timeout_ms");
    expect(result.exitCode).toBe(65);
    await sandbox.cleanup();
  });
});
