import { describe, expect, test } from "bun:test";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CONFIG_INVALID } from "../../src/config/errors.ts";
import { loadConfig, parseConfigText } from "../../src/config/load-config.ts";
import { ProjectFileSchema } from "../../src/config/schema.ts";
import type { OcxError } from "../../src/error/index.ts";

const FILE = "/work/app/ocx.toml";

function projectError(text: string): OcxError {
  try {
    parseConfigText(text, FILE, ProjectFileSchema);
  } catch (error) {
    return error as OcxError;
  }
  throw new Error("expected the project file to be rejected");
}

async function loadProject(text: string) {
  const root = await mkdtemp(join(tmpdir(), "ocx-project-"));
  await mkdir(join(root, "app", "src"), { recursive: true });
  await writeFile(join(root, "app", "ocx.toml"), text);
  const config = await loadConfig({
    home: join(root, "home"),
    cwd: join(root, "app", "src"),
    env: { OCX_SYSTEM_CONFIG: join(root, "none.toml") },
  });
  return { root, config };
}

describe("project file", () => {
  test("reads tools and env", async () => {
    const { root, config } = await loadProject(
      '[tools]\nrg = "localhost:5000/tools/ripgrep:14"\n[env]\nGREETING = "hi there"\n',
    );
    expect(config.project?.file).toBe(join(root, "app", "ocx.toml"));
    expect(config.project?.tools.map((tool) => [tool.name, tool.reference.repository, tool.reference.tag])).toEqual([
      ["rg", "tools/ripgrep", "14"],
    ]);
    expect(config.project?.env).toEqual({ GREETING: "hi there" });
  });

  test("keeps patches as a config tier", async () => {
    const { config } = await loadProject('[patches]\nregistry = "p.example/x"\n[tools]\n');
    expect(config.patches[0]?.tier).toBe("project");
    expect(config.project?.tools).toEqual([]);
  });

  test("is undefined without ocx.toml", async () => {
    const root = await mkdtemp(join(tmpdir(), "ocx-project-"));
    const config = await loadConfig({ home: root, cwd: root, env: { OCX_SYSTEM_CONFIG: join(root, "x") } });
    expect(config.project).toBeUndefined();
  });

  test("uses the file the caller names", async () => {
    const { root } = await loadProject('[env]\nA = "1"\n');
    const other = join(root, "other.toml");
    await writeFile(other, '[env]\nB = "2"\n');
    const config = await loadConfig({ home: root, cwd: join(root, "app"), env: {}, projectFile: other });
    expect(config.project?.env).toEqual({ B: "2" });
  });

  test.each([
    ["bad reference", '[tools]\nok = "localhost:5000/a:1"\nbad = "Not A Reference"\n', 3, "tools.bad", "invalid reference"],
    ["bad variable name", '[env]\nOK = "1"\n"BAD-NAME" = "x"\n', 3, "BAD-NAME", "a variable name"],
    ["non-string tool", "[tools]\nrg = 14\n", 2, "tools.rg", "expected string"],
    ["non-string constant", "[env]\nN = 1\n", 2, "env.N", "expected string"],
    ["unknown table", '[tool]\nrg = "localhost:5000/a:1"\n', 1, "tool", "not a known setting"],
    ["duplicate tool", '[tools]\nrg = "a.example/x:1"\nrg = "a.example/y:1"\n', 3, "rg", "rg"],
  ])("rejects %s with file, line and key", (_name, text, line, key, reason) => {
    const error = projectError(text);
    expect(error.message).toContain(`${FILE}:${line}`);
    expect(error.message).toContain(key);
    expect(error.message).toContain(reason);
    expect(error.code).toBe(CONFIG_INVALID);
  });

  test("rejects tools in the user tier", () => {
    expect(() => parseConfigText('[tools]\nrg = "a.example/x:1"\n', "/home/u/.ocx/config.toml")).toThrow(
      /config\.toml:1: key "tools" is not a known setting/,
    );
  });
});

describe("project file restrictions", () => {
  test.each([
    ["PATH in [env]", '[env]\nPATH = "/evil"\n', "env.PATH"],
    ["ocx state in [env]", '[env]\n__OCX_STATE = "x"\n', "env.__OCX_STATE"],
    ["OCX_HOME in [env]", '[env]\nOCX_HOME = "/tmp/x"\n', "env.OCX_HOME"],
  ])("rejects %s", (_name, text, key) => {
    expect(() => parseConfigText(text, "/p/ocx.toml", ProjectFileSchema)).toThrow(key);
  });
});
