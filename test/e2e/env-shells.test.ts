import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { OCX_BINARY, runShell, Sandbox, toolPackage } from "./harness.ts";

let registry: TestRegistry;
let publisher: Sandbox;
let reg: string;

// Values that break naive quoting: each must arrive byte for byte.
const QUOTING: Record<string, string> = {
  Q_DQ: 'a"b',
  Q_INJ: 'x";touch /tmp/ocx-pwned;"y',
  Q_DOLLAR: "$HOME and ${USER} and $(id -u)",
  Q_TICK: "`id`",
  Q_SQ: "it's",
  Q_PWSH: 'a`$env:PATH`"',
  Q_FISH: "back\\slash (paren) {brace} ~tilde",
  Q_NEWLINE: "line one\nline two",
  Q_PERCENT: "100% %s %d",
  Q_UNICODE: "grüße 日本",
  Q_EMPTY: "",
};

// How each shell evaluates `ocx env` output and prints the Q_ variables.
const SHELLS: Record<string, (ocx: string) => string> = {
  bash: (ocx) => `eval "$(${ocx} env --shell bash "$REF")" && env -0 | grep -z '^Q_' | sort -z`,
  zsh: (ocx) => `eval "$(${ocx} env --shell zsh "$REF")" && env -0 | grep -z '^Q_' | sort -z`,
  dash: (ocx) => `eval "$(${ocx} env --shell posix "$REF")" && env -0 | grep -z '^Q_' | sort -z`,
  fish: (ocx) => `${ocx} env --shell fish "$REF" | source; and env -0 | grep -z '^Q_' | sort -z`,
};

beforeAll(async () => {
  registry = await startRegistry();
  reg = registry.host;
  publisher = await Sandbox.create();
  await publisher.publish(`${reg}/team/quoting:1`, {
    metadata: {
      type: "bundle",
      version: 1,
      env: Object.entries(QUOTING).map(([key, value]) => ({ key, type: "constant", value: value.replaceAll("${", () => "$${") })),
    },
    files: { "x.txt": "x" },
  });
  await publisher.publish(`${reg}/team/hello:1`, toolPackage("hello", "hello"));
  await publisher.publish(`${reg}/team/nopath:1`, {
    metadata: {
      type: "bundle",
      version: 1,
      env: [
        { key: "PATH", type: "path", value: "" },
        { key: "MANPATH", type: "path", value: "${installPath}/share/man" },
      ],
    },
    files: { "share/man/x.1": "x" },
  });
  await publisher.publish(`${reg}/team/dep:1.0`, toolPackage("tool", "dep"));
  await publisher.publish(`${reg}/team/b:1.0`, toolPackage("tool", "b"));
  await publisher.publish(`${reg}/team/a:1.0`, toolPackage("tool", "a", {
    env: [{ key: "PATH", type: "path", value: "${installPath}/sbin" }],
    metadata: { dependencies: [{ identifier: `${reg}/team/dep:1.0` }] },
    files: { "sbin/x": "x" },
  }));
  for (const version of ["17", "21"]) {
    await publisher.publish(`${reg}/team/jdk${version}:1`, {
      metadata: { type: "bundle", version: 1, env: [{ key: "JAVA_HOME", type: "constant", value: "${installPath}" }] },
      files: { release: version },
    });
  }
});

afterAll(async () => {
  await publisher?.cleanup();
  await registry?.stop();
});

describe("ocx env in real shells", () => {
  test.each(Object.keys(SHELLS))("%s receives every value byte for byte", async (shell) => {
    await rm("/tmp/ocx-pwned", { force: true });
    const sandbox = await Sandbox.create();
    await sandbox.ok(["install", `${reg}/team/quoting:1`]);
    const result = await runShell(shell, SHELLS[shell]!(OCX_BINARY), sandbox.env({ REF: `${reg}/team/quoting:1` }));
    const expected = Object.entries(QUOTING).sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, value]) => `${key}=${value}\0`).join("");
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe(expected);
    expect(existsSync("/tmp/ocx-pwned")).toBe(false);
    expect(result.exitCode).toBe(0);
    await sandbox.cleanup();
  });

  test.each(["bash", "zsh", "dash"])("%s keeps PATH entries with spaces", async (shell) => {
    const sandbox = await Sandbox.create();
    const home = join(sandbox.root, "My Store");
    const env = sandbox.env({ OCX_HOME: home, PATH: "/usr/bin:/bin:/opt/Vendor Tools/bin", REF: `${reg}/team/hello:1` });
    const dialect = shell === "dash" ? "posix" : shell;
    await sandbox.ok(["install", `${reg}/team/hello:1`], { env: { OCX_HOME: home } });
    const result = await runShell(shell, `eval "$(${OCX_BINARY} env --shell ${dialect} "$REF")"; printf '<%s>\\n' "$PATH"; hello`, env);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(new RegExp(`^<${home}/objects/sha256/[a-f0-9]{64}/content/bin:/usr/bin:/bin:/opt/Vendor Tools/bin>\\nhello\\n$`));
    await sandbox.cleanup();
  });

  test("never emits an empty PATH element", async () => {
    const sandbox = await Sandbox.create();
    const env = sandbox.env({ REF1: `${reg}/team/hello:1`, REF2: `${reg}/team/nopath:1` });
    const script = `unset PATH MANPATH; eval "$(${OCX_BINARY} env --shell bash "$REF1" "$REF2")"; printf '<%s>\\n<%s>\\n' "$PATH" "$MANPATH"`;
    const result = await runShell("/bin/bash", script, env);
    const [path, manpath] = result.stdout.trim().split("\n");
    expect(path).toMatch(/^<\/[^:]+\/bin>$/);
    expect(manpath).toMatch(/^<\/[^:]+\/share\/man>$/);
    await sandbox.cleanup();
  });

  test("leaves PATH alone for an empty path entry", async () => {
    const sandbox = await Sandbox.create();
    const result = await runShell("bash", `eval "$(${OCX_BINARY} env --shell bash "$REF")"; printf '<%s>' "$PATH"`, sandbox.env({ REF: `${reg}/team/nopath:1` }));
    expect(result.stdout).toBe("</usr/bin:/bin>");
    await sandbox.cleanup();
  });

  test("evaluating twice does not grow PATH", async () => {
    const sandbox = await Sandbox.create();
    const twice = `eval "$(${OCX_BINARY} env --shell bash "$REF")"; eval "$(${OCX_BINARY} env --shell bash "$REF")"; printf '%s' "$PATH"`;
    const result = await runShell("bash", twice, sandbox.env({ REF: `${reg}/team/hello:1` }));
    expect(result.stdout.split(":")).toHaveLength(3);
    await sandbox.cleanup();
  });
});

describe("composition order", () => {
  test("PATH follows the Kahn order for either argument order", async () => {
    const sandbox = await Sandbox.create();
    const outputs: string[] = [];
    for (const args of [["a", "b"], ["b", "a"]]) {
      const refs = args.map((name) => `${reg}/team/${name}:1.0`).join(" ");
      const result = await runShell("bash", `eval "$(${OCX_BINARY} env --shell bash ${refs})"; printf '%s\\n' "$PATH"; tool`, sandbox.env());
      outputs.push(result.stdout);
    }
    expect(outputs[0]).toBe(outputs[1]!);
    const [path, tool] = outputs[0]!.trim().split("\n");
    const entries = path!.split(":").map((entry) => entry.replace(/^.*\/content\//, ""));
    expect(entries).toEqual(["bin", "sbin", "bin", "bin", "/usr/bin", "/bin"]);
    expect(tool).toBe("a");
    await sandbox.cleanup();
  });

  test("output is byte-identical across runs", async () => {
    const sandbox = await Sandbox.create();
    const refs = [`${reg}/team/b:1.0`, `${reg}/team/a:1.0`];
    const first = await sandbox.ok(["env", "--shell", "bash", ...refs]);
    for (let run = 0; run < 5; run++) expect(await sandbox.ok(["env", "--shell", "bash", ...refs])).toBe(first);
    await sandbox.cleanup();
  });

  test("two packages setting one constant warn, later wins", async () => {
    const sandbox = await Sandbox.create();
    const refs = [`${reg}/team/jdk17:1`, `${reg}/team/jdk21:1`];
    const forward = await sandbox.run(["env", "--json", ...refs]);
    const backward = await sandbox.run(["env", "--json", ...refs.reverse()]);
    expect(JSON.parse(forward.stdout).env.JAVA_HOME).toBe(JSON.parse(backward.stdout).env.JAVA_HOME);
    expect(forward.stderr).toMatch(/warn.*JAVA_HOME/);
    expect(forward.stderr).toContain("jdk17");
    expect(forward.stderr).toContain("jdk21");
    await sandbox.cleanup();
  });
});
