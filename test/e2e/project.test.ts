import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { OCX_BINARY, runShell, Sandbox, toolPackage } from "./harness.ts";

let registry: TestRegistry;
let sandbox: Sandbox;
let ref: string;
let project: string;

beforeAll(async () => {
  registry = await startRegistry();
  sandbox = await Sandbox.create();
  ref = `${registry.host}/team/hello:1`;
  await sandbox.publish(ref, toolPackage("hello", "hello"));
  project = join(sandbox.root, "project");
  await mkdir(join(project, "deep"), { recursive: true });
  await writeFile(join(project, "ocx.toml"), `[tools]\nhello = "${ref}"\n\n[env]\nGREETING = "it's \\"here\\""\n`);
  await sandbox.ok(["trust", join(project, "ocx.toml")]);
});

afterAll(async () => {
  await sandbox?.cleanup();
  await registry?.stop();
});

describe("ocx env and exec without references", () => {
  test("env uses the project file found upwards", async () => {
    const output = await sandbox.ok(["env", "--json"], { cwd: join(project, "deep") });
    const { env } = JSON.parse(output) as { env: Record<string, string> };
    expect(env.GREETING).toBe('it\'s "here"');
    expect(env.PATH).toMatch(/\/content\/bin:\/usr\/bin:\/bin$/);
  });

  test("exec runs the project's tools", async () => {
    const result = await sandbox.run(["exec", "--", "hello"], { cwd: join(project, "deep") });
    expect(result.stdout).toBe("hello\n");
    expect(result.exitCode).toBe(0);
  });

  test("env without a project file names both choices", async () => {
    const result = await sandbox.run(["env"], { cwd: sandbox.cwd });
    expect(result.stderr).toContain("needs at least one package reference");
    expect(result.stderr).toContain("ocx.toml");
    expect(result.exitCode).toBe(64);
  });
});

describe("untrusted project file", () => {
  test("env names the file and ocx trust", async () => {
    const other = join(sandbox.root, "other");
    await mkdir(other);
    await writeFile(join(other, "ocx.toml"), `[tools]\nhello = "${ref}"\n`);
    const result = await sandbox.run(["env"], { cwd: other });
    expect(result.stderr).toContain(`found the project file "${join(other, "ocx.toml")}" but it is not trusted`);
    expect(result.stderr).toContain("ocx trust");
    expect(result.exitCode).toBe(64);
  });

  test("activation warns once and applies nothing", async () => {
    const other = join(sandbox.root, "untrusted");
    await mkdir(other);
    await writeFile(join(other, "ocx.toml"), '[env]\nPLANTED = "x"\n');
    const script = 'cd "$P"; eval "$("$OCX" activate bash)"; __ocx_hook; __ocx_hook; echo "<${PLANTED-unset}>"; ocx trust >/dev/null; __ocx_hook; echo "<${PLANTED-unset}>"';
    const result = await runShell("/usr/bin/bash", script, { ...sandbox.env(), OCX: OCX_BINARY, P: other });
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("ignoring untrusted project file");
    expect(result.stdout).toBe("<unset>\n<x>\n");
  });
});

describe("ocx activate --status", () => {
  test("names the active file and variables", async () => {
    const script = 'cd "$P"; eval "$("$OCX" activate bash)"; "$OCX" activate --status; "$OCX" activate --status --json';
    const result = await runShell("/usr/bin/bash", script, { ...sandbox.env(), OCX: OCX_BINARY, P: project });
    expect(result.stderr).not.toContain("error");
    const [text, json] = [result.stdout.slice(0, result.stdout.indexOf("{")), result.stdout.slice(result.stdout.indexOf("{"))];
    expect(text).toContain(`active: ${join(project, "ocx.toml")}`);
    expect(text).toContain(`tools: hello=${ref}`);
    expect(text).toContain("variables: GREETING, PATH");
    expect(text).toContain("up to date");
    expect(JSON.parse(json)).toMatchObject({ active: true, isCurrent: true, variables: ["GREETING", "PATH"] });
  });

  test("says when nothing is active", async () => {
    expect(await sandbox.ok(["activate", "--status"])).toBe("not active: no ocx.toml applied in this shell\n");
  });

  test("reports a change since activation", async () => {
    const script = 'cd "$P"; eval "$("$OCX" activate bash)"; echo "# x" >> ocx.toml; "$OCX" activate --status';
    const result = await runShell("/usr/bin/bash", script, { ...sandbox.env(), OCX: OCX_BINARY, P: project });
    expect(result.stdout).toContain(`out of date: ${join(project, "ocx.toml")} changed`);
  });
});
