import { describe, expect, test } from "bun:test";
import { mkdtemp, mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, mergeTiers, parseConfigText, systemConfigFile } from "../../src/config/load-config.ts";
import { CONFIG_INVALID } from "../../src/config/errors.ts";
import { OcxError } from "../../src/error/index.ts";

function parseError(text: string): OcxError {
  try {
    parseConfigText(text, "/etc/ocx/config.toml");
  } catch (error) {
    return error as OcxError;
  }
  throw new Error("expected the config to be rejected");
}

describe("parseConfigText", () => {
  // Duplicate and redefined keys: TOML forbids them, and a silent "last one
  // wins" would let a lower line replace the operator's patch registry.
  test.each([
    ["duplicate key", '[patches]\nregistry = "a.example/p"\nregistry = "b.example/p"\n', 3, "registry"],
    ["table defined twice", '[patches]\nregistry = "a.example/p"\n[patches]\nrequired = true\n', 3, "patches"],
    ["dotted key then table", 'patches.registry = "a.example/p"\n[patches]\nrequired = true\n', 2, "patches"],
    ["wrong value type", '[patches]\nregistry = "a.example/p"\nrequired = "yes"\n', 3, "required"],
  ])("rejects %s with file, line and key", (_name, text, line, key) => {
    const error = parseError(text);
    expect(error.message).toContain(`/etc/ocx/config.toml:${line}`);
    expect(error.message).toContain(key);
    expect(error.code).toBe(CONFIG_INVALID);
    expect(error.exitCode).toBe(65);
  });

  test("names the expected type", () => {
    expect(parseError('[patches]\nregistry = "a"\nrequired = "yes"\n').message).toContain("boolean");
  });

  test("rejects an unknown setting", () => {
    const error = parseError('[patches]\nregistery = "a.example/p"\n');
    expect(error.message).toContain(":2");
    expect(error.message).toContain("registery");
  });

  test("accepts dotted keys for a table", () => {
    const config = parseConfigText('patches.registry = "a.example/p"\npatches.required = false\n', "x.toml");
    expect(config.patches).toEqual({ registry: "a.example/p", required: false });
  });
});

describe("mergeTiers", () => {
  test("keeps every tier's patch registry, system first", () => {
    const merged = mergeTiers([
      { name: "system", file: "s", config: { patches: { registry: "corp.example/p" } } },
      { name: "user", file: "u", config: { patches: { registry: "team.example/p", required: false } } },
    ]);
    expect(merged.patches.map((entry) => [entry.registry, entry.tier, entry.required])).toEqual([
      ["corp.example/p", "system", true],
      ["team.example/p", "user", false],
    ]);
  });

  test("joins insecure registries", () => {
    const merged = mergeTiers([
      { name: "system", file: "s", config: { registries: { insecure: ["a:5000"] } } },
      { name: "project", file: "p", config: { registries: { insecure: ["b:5000"] } } },
    ]);
    expect(merged.insecureRegistries).toEqual(["a:5000", "b:5000"]);
  });
});

describe("loadConfig", () => {
  test("finds ocx.toml in a parent folder", async () => {
    const root = await mkdtemp(join(tmpdir(), "ocx-config-"));
    await mkdir(join(root, "project", "deep"), { recursive: true });
    await writeFile(join(root, "project", "ocx.toml"), '[patches]\nregistry = "p.example/x"\n');
    const config = await loadConfig({
      home: join(root, "home"),
      cwd: join(root, "project", "deep"),
      env: { OCX_SYSTEM_CONFIG: join(root, "none.toml") },
    });
    expect(config.patches[0]?.tier).toBe("project");
  });

  test("fails when any tier is invalid", async () => {
    const root = await mkdtemp(join(tmpdir(), "ocx-config-"));
    await mkdir(join(root, "home"));
    await writeFile(join(root, "home", "config.toml"), "offline = 1\n");
    const load = loadConfig({ home: join(root, "home"), cwd: root, env: { OCX_SYSTEM_CONFIG: join(root, "none.toml") } });
    await expect(load).rejects.toThrow(/config\.toml:1/);
  });
});

describe("enforced patches", () => {
  test("rejects enforced outside the system tier", () => {
    const merge = () => mergeTiers([
      { name: "user", file: "/u/config.toml", config: { patches: { registry: "a.example/p", enforced: true } } },
    ]);
    expect(merge).toThrow('/u/config.toml: key "patches.enforced" may only be set in the system config');
  });

  test("keeps the enforced system source when a user tier repeats it weaker", () => {
    const merged = mergeTiers([
      { name: "system", file: "s", config: { patches: { registry: "corp.example/p", enforced: true } } },
      { name: "user", file: "u", config: { patches: { registry: "corp.example/p", required: false } } },
    ]);
    expect(merged.patches).toEqual([{ registry: "corp.example/p", enforced: true, tier: "system", required: true }]);
  });
});

describe("mirrors with enforced patches", () => {
  test("keep only the system tier's mirrors", () => {
    const merged = mergeTiers([
      { name: "system", file: "s", config: { patches: { registry: "corp.example/p", enforced: true }, mirrors: { "a.example": ["m.corp"] } } },
      { name: "user", file: "u", config: { mirrors: { "corp.example": ["evil.example"] } } },
    ]);
    expect(merged.merged.mirrors).toEqual({ "a.example": ["m.corp"] });
    expect(merged.ignoredMirrors).toEqual(["u"]);
  });

  test("merge all tiers without enforcement", () => {
    const merged = mergeTiers([
      { name: "system", file: "s", config: { patches: { registry: "corp.example/p" } } },
      { name: "user", file: "u", config: { mirrors: { "corp.example": ["m.example"] } } },
    ]);
    expect(merged.merged.mirrors).toEqual({ "corp.example": ["m.example"] });
  });
});

describe("no-patches", () => {
  test("joins every tier and OCX_NO_PATCHES", () => {
    const merged = mergeTiers(
      [
        { name: "user", file: "u", config: { "no-patches": ["*/a:*"] } },
        { name: "project", file: "p", config: { "no-patches": ["*/b:*"] } },
      ],
      { noPatchesEnv: "*/c:1, */a:*" },
    );
    expect(merged.noPatches).toEqual(["*/a:*", "*/b:*", "*/c:1"]);
  });

  test("rejects an invalid glob in OCX_NO_PATCHES", () => {
    expect(() => mergeTiers([], { noPatchesEnv: "[a" })).toThrow("OCX_NO_PATCHES");
  });

  test("rejects an invalid glob in a tier", () => {
    expect(() => parseConfigText('no-patches = ["[a"]\n', "p.toml")).toThrow("no-patches");
  });
});

describe("systemConfigFile", () => {
  test("honours OCX_SYSTEM_CONFIG when the managed file is missing", () => {
    const file = systemConfigFile({ home: "/h", cwd: "/", env: { OCX_SYSTEM_CONFIG: "/t/s.toml" }, defaultSystemConfig: "/nonexistent/ocx.toml" });
    expect(file).toEqual({ file: "/t/s.toml" });
  });

  test("ignores OCX_SYSTEM_CONFIG on a managed host", async () => {
    const root = await mkdtemp(join(tmpdir(), "ocx-config-"));
    const managed = join(root, "config.toml");
    await writeFile(managed, '[patches]\nregistry = "corp.example/p"\nenforced = true\n');
    await writeFile(join(root, "empty.toml"), "");
    const config = await loadConfig({
      home: join(root, "home"),
      cwd: root,
      env: { OCX_SYSTEM_CONFIG: join(root, "empty.toml") },
      defaultSystemConfig: managed,
    });
    expect(config.patches.map((source) => source.registry)).toEqual(["corp.example/p"]);
    expect(config.ignoredSystemOverride).toBe(join(root, "empty.toml"));
  });
});
