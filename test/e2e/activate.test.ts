import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { callsPerStep, countingActivation, DIALECTS, readDump, runDialect, SHELLS } from "./activate-harness.ts";
import { OCX_BINARY, Sandbox, toolPackage } from "./harness.ts";

let registry: TestRegistry;
let publisher: Sandbox;
let reg: string;

// Registry constants that break naive quoting (published in `quoting`).
const PACKAGE_VALUES: Record<string, string> = {
  Q_DQ: 'a"b',
  Q_INJ: 'x";touch /tmp/ocx-activate-pwned;"y',
  Q_DOLLAR: "$HOME and ${USER} and $(touch /tmp/ocx-activate-pwned)",
  Q_TICK: "`touch /tmp/ocx-activate-pwned`",
  Q_SQ: "it's",
  Q_PWSH: 'a`$env:PATH`"',
  Q_FISH: "back\\slash (paren) {brace} ~tilde",
};

// `[env]` constants of the project file, one per character class.
const PROJECT_VALUES: Record<string, string> = {
  P_SPACES: "  two  spaces  ",
  P_QUOTES: `it's "quoted"`,
  P_DOLLAR: "$PATH ${HOME} $(touch /tmp/ocx-activate-pwned)",
  P_TICKS: "`touch /tmp/ocx-activate-pwned`",
  P_BACKSLASH: "\\\\ \\n trailing\\",
  P_NEWLINES: "line one\nline two\n",
  P_PERCENT: "100% %s %d %F{red}",
  P_UNICODE: "grüße 日本 🎉",
  P_EMPTY: "",
  WAS_EMPTY: "now set",
  WAS_SET: "replaced",
};

// The caller's own variables; every one must come back exactly.
const USER_VALUES: Record<string, string> = {
  PATH: "/usr/bin:/bin:/opt/Vendor Tools/bin",
  WAS_EMPTY: "",
  WAS_SET: "mine $x `y`",
  U_NEWLINE: "a\nb",
};

function tomlTable(values: Record<string, string>): string {
  // JSON string escapes are valid TOML basic-string escapes.
  return Object.entries(values)
    .map(([key, value]) => `${key} = ${JSON.stringify(value)}`)
    .join("\n");
}

/** Writes and trusts a project file (in `home`, default the sandbox's OCX_HOME). */
async function writeProject(
  sandbox: Sandbox,
  dir: string,
  options: { tools?: Record<string, string>; env?: Record<string, string>; home?: string; text?: string } = {},
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, "ocx.toml");
  const text = options.text ?? `[tools]\n${tomlTable(options.tools ?? {})}\n\n[env]\n${tomlTable(options.env ?? {})}\n`;
  await writeFile(file, text);
  const trustOptions = options.home === undefined ? {} : { env: { OCX_HOME: options.home } };
  // ocx trust rejects a file it cannot parse, which the invalid-file tests write on purpose.
  if (options.text === undefined) await sandbox.ok(["trust", file], trustOptions);
  else await sandbox.run(["trust", file], trustOptions);
  return file;
}

/** The bin folder a package puts on PATH, read from `ocx env --json`. */
async function binOf(sandbox: Sandbox, reference: string, home?: string): Promise<string> {
  const output = await sandbox.ok(["env", "--json", reference], home === undefined ? {} : { env: { OCX_HOME: home } });
  const { env } = JSON.parse(output) as { env: Record<string, string> };
  return env.PATH!.split(":")[0]!;
}

beforeAll(async () => {
  registry = await startRegistry();
  reg = registry.host;
  publisher = await Sandbox.create();
  await publisher.publish(`${reg}/team/hello:1`, toolPackage("hello", "hello"));
  await publisher.publish(`${reg}/team/quoting:1`, {
    metadata: {
      type: "bundle",
      version: 1,
      env: Object.entries(PACKAGE_VALUES).map(([key, value]) => ({ key, type: "constant", value: value.replaceAll("${", () => "$${") })),
    },
    files: { "x.txt": "x" },
  });
  await publisher.publish(`${reg}/team/demo:1`, toolPackage("demo", "demo", {
    env: [
      { key: "MANPATH", type: "path", value: "${installPath}/share/man" },
      { key: "LD_LIBRARY_PATH", type: "path", value: "${installPath}/lib" },
    ],
    files: { "share/man/x.1": "x", "lib/x.so": "x" },
  }));
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
});

afterAll(async () => {
  await publisher?.cleanup();
  await registry?.stop();
});

describe("ocx activate in real shells", () => {
  test.each(SHELLS)("%s restores the whole environment", async (shell) => {
    const dialect = DIALECTS[shell]!;
    await rm("/tmp/ocx-activate-pwned", { force: true });
    const sandbox = await Sandbox.create();
    const refs = { hello: `${reg}/team/hello:1`, quoting: `${reg}/team/quoting:1` };
    const project = join(sandbox.root, "My Project");
    // A store root with a space, as under macOS "Application Support".
    const home = join(sandbox.root, "My Store");
    await writeProject(sandbox, project, { tools: refs, env: PROJECT_VALUES, home });
    await sandbox.ok(["install", refs.hello, refs.quoting], { env: { OCX_HOME: home } });
    const bin = await binOf(sandbox, refs.hello, home);
    expect(bin).toStartWith(`${home}/`);
    const out = join(sandbox.root, "out");
    await mkdir(out);

    const result = await runDialect(dialect, [
      dialect.strict,
      dialect.dump("before"),
      dialect.activate,
      dialect.dump("outside"),
      'cd "$P"',
      "__ocx_hook",
      dialect.dump("during"),
      "hello",
      'cd "$OUT"',
      "__ocx_hook",
      dialect.dump("after"),
      'cd "$P/.."',
      'cd "$P"',
      "ocx deactivate",
      dialect.dump("deactivated"),
      "echo done",
    ], { env: sandbox.env({ ...USER_VALUES, OCX_HOME: home, OCX: OCX_BINARY, P: project, OUT: out }), cwd: sandbox.cwd });

    expect(result.stderr).toBe("");
    expect(result.stdout).toBe("hello\ndone\n");
    const before = await readDump(join(out, "before"));
    const during = await readDump(join(out, "during"));
    expect(before.WAS_EMPTY).toBe("");
    expect(await readDump(join(out, "outside"))).toEqual(before);
    expect(await readDump(join(out, "after"))).toEqual(before);
    expect(await readDump(join(out, "deactivated"))).toEqual(before);
    for (const [key, value] of Object.entries({ ...PACKAGE_VALUES, ...PROJECT_VALUES })) {
      expect(during[key]).toBe(value);
    }
    expect(during.PATH).toBe(`${bin}:/usr/bin:/bin:/opt/Vendor Tools/bin`);
    expect(during.U_NEWLINE).toBe("a\nb");
    expect(existsSync("/tmp/ocx-activate-pwned")).toBe(false);
    expect(result.exitCode).toBe(0);
    await sandbox.cleanup();
  });

  test.each(SHELLS)("%s keeps PATH length over 50 re-activations", async (shell) => {
    const dialect = DIALECTS[shell]!;
    const sandbox = await Sandbox.create();
    const ref = `${reg}/team/hello:1`;
    await writeProject(sandbox, sandbox.cwd, { tools: { hello: ref } });
    await sandbox.ok(["install", ref]);
    const bin = await binOf(sandbox, ref);

    const result = await runDialect(dialect, [
      dialect.strict,
      dialect.envProject,
      dialect.activate,
      dialect.activate,
      dialect.print("PATH"),
      dialect.repeat(50, `${dialect.activate}; __ocx_hook`),
      dialect.print("PATH"),
      // A nested shell inherits the activation and activates again.
      `${dialect.argv("").slice(0, -1).map((arg) => `'${arg}'`).join(" ")} "$CHILD"`,
      "ocx deactivate",
      dialect.print("PATH"),
    ], {
      env: sandbox.env({ OCX: OCX_BINARY, PATH: `/usr/bin:${bin}:/bin`, CHILD: [dialect.activate, dialect.print("PATH")].join("\n") }),
      cwd: sandbox.cwd,
    });

    expect(result.stderr).toBe("");
    // Move-to-front: the user's own copy of the entry is moved, not doubled.
    // Deactivation keeps what the user's own `ocx env` did before activating.
    const front = `<${bin}:/usr/bin:/bin>\n`;
    expect(result.stdout).toBe(front.repeat(4));
    expect(result.exitCode).toBe(0);
    await sandbox.cleanup();
  }, 180_000);

  test.each(SHELLS)("%s activates under nounset", async (shell) => {
    const dialect = DIALECTS[shell]!;
    const sandbox = await Sandbox.create();
    const ref = `${reg}/team/demo:1`;
    await writeProject(sandbox, sandbox.cwd, { tools: { demo: ref } });
    await sandbox.ok(["install", ref]);
    const unset = shell === "fish" ? "set -e MANPATH LD_LIBRARY_PATH" : "unset MANPATH LD_LIBRARY_PATH PROMPT_COMMAND";

    const result = await runDialect(dialect, [
      dialect.strict,
      unset,
      `${dialect.activate}`,
      "__ocx_hook",
      dialect.print("MANPATH"),
      dialect.print("LD_LIBRARY_PATH"),
      "ocx deactivate",
      dialect.print("MANPATH"),
      "echo ok",
    ], { env: sandbox.env({ OCX: OCX_BINARY }), cwd: sandbox.cwd });

    expect(result.stderr).not.toMatch(/unbound|parameter not set/);
    expect(result.stderr).toBe("");
    const [manpath, libraryPath, restored, ok] = result.stdout.trim().split("\n");
    expect(manpath).toMatch(/^<\/[^:]+\/content\/share\/man>$/);
    expect(libraryPath).toMatch(/^<\/[^:]+\/content\/lib>$/);
    expect(restored).toBe("<(unset)>");
    expect(ok).toBe("ok");
    expect(result.exitCode).toBe(0);
    await sandbox.cleanup();
  });

  test.each(SHELLS)("%s adds no empty PATH element", async (shell) => {
    const dialect = DIALECTS[shell]!;
    const sandbox = await Sandbox.create();
    const refs = { hello: `${reg}/team/hello:1`, nopath: `${reg}/team/nopath:1` };
    await writeProject(sandbox, sandbox.cwd, { tools: refs });
    await sandbox.ok(["install", refs.hello, refs.nopath]);
    const bin = await binOf(sandbox, refs.hello);
    const unset = shell === "fish" ? "set -e MANPATH" : "unset PATH MANPATH";

    const result = await runDialect(dialect, [
      dialect.strict,
      unset,
      dialect.activate,
      dialect.print("PATH"),
      dialect.print("MANPATH"),
    ], { env: sandbox.env({ OCX: OCX_BINARY }), cwd: sandbox.cwd });

    expect(result.stderr).toBe("");
    const [path, manpath] = result.stdout.trim().split("\n");
    // fish keeps its own default PATH when it starts, so only the front is known.
    if (shell === "fish") expect(path).toBe(`<${bin}:/usr/bin:/bin>`);
    else expect(path).toBe(`<${bin}>`);
    expect(manpath).toMatch(/^<\/[^:]+\/content\/share\/man>$/);
    expect(result.exitCode).toBe(0);
    await sandbox.cleanup();
  });

  test.each(SHELLS)("%s stays usable when a tool is missing offline", async (shell) => {
    const dialect = DIALECTS[shell]!;
    const sandbox = await Sandbox.create();
    await writeProject(sandbox, sandbox.cwd, { tools: { hello: `${reg}/team/hello:1` } });

    const result = await runDialect(dialect, [
      dialect.strict,
      dialect.activate,
      "__ocx_hook",
      "__ocx_hook",
      "echo alive",
      dialect.print("PATH"),
    ], { env: sandbox.env({ OCX: OCX_BINARY, OCX_OFFLINE: "1" }), cwd: sandbox.cwd });

    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/^ocx: error\[[A-Z_]+\]: .*hello/);
    expect(result.stdout).toBe("alive\n</usr/bin:/bin>\n");
    expect(result.exitCode).toBe(0);
    await sandbox.cleanup();
  });

  test.each(SHELLS)("%s installs missing tools on first activation", async (shell) => {
    const dialect = DIALECTS[shell]!;
    const sandbox = await Sandbox.create();
    const ref = `${reg}/team/hello:1`;
    await writeProject(sandbox, sandbox.cwd, { tools: { hello: ref } });

    const result = await runDialect(dialect, [dialect.strict, dialect.activate, "hello"], {
      env: sandbox.env({ OCX: OCX_BINARY }),
      cwd: sandbox.cwd,
    });

    expect(result.stderr).toContain(`installed ${ref}`);
    expect(result.stdout).toBe("hello\n");
    expect(result.exitCode).toBe(0);
    await sandbox.cleanup();
  });

  test.each(SHELLS)("%s reports an unusable ocx.toml in one line", async (shell) => {
    const dialect = DIALECTS[shell]!;
    const sandbox = await Sandbox.create();
    await writeProject(sandbox, sandbox.cwd, { text: '[tools]\nhello = "not a reference"\n' });

    const result = await runDialect(dialect, [dialect.strict, dialect.activate, "echo alive"], {
      env: sandbox.env({ OCX: OCX_BINARY }),
      cwd: sandbox.cwd,
    });

    // The file cannot be trusted while it does not parse, so the hook reports it as untrusted.
    expect(result.stderr).toMatch(/^(ocx: error\[[A-Z_]+\]|warn): .*ocx\.toml/);
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(result.stdout).toBe("alive\n");
    await sandbox.cleanup();
  });
});

describe("activation hook freshness", () => {
  test.each(SHELLS)("%s starts ocx only after a change", async (shell) => {
    const dialect = DIALECTS[shell]!;
    const sandbox = await Sandbox.create();
    const ref = `${reg}/team/hello:1`;
    const project = join(sandbox.root, "project");
    await writeProject(sandbox, project, { tools: { hello: ref } });
    await mkdir(join(project, "sub"));
    await sandbox.ok(["install", ref]);
    const { binary, log, activation } = await countingActivation(sandbox, dialect);
    const outside = join(sandbox.root, "outside");
    await mkdir(outside);
    const mark = (step: string) => `echo "mark ${step}" >> "$LOG"`;

    const result = await runDialect(dialect, [
      dialect.strict,
      dialect.sourceActivation,
      mark("idle"),
      "__ocx_hook; __ocx_hook; __ocx_hook",
      'cd sub; __ocx_hook; cd ..; __ocx_hook',
      mark("project file edited"),
      'echo "# edited" >> ocx.toml',
      '"$REAL" trust >/dev/null',
      "__ocx_hook; __ocx_hook",
      mark("user config written"),
      'echo "offline = false" > "$OCX_HOME/config.toml"',
      "__ocx_hook; __ocx_hook",
      mark("user config removed"),
      'rm "$OCX_HOME/config.toml"',
      "__ocx_hook; __ocx_hook",
      mark("system config written"),
      'echo "offline = false" > "$OCX_SYSTEM_CONFIG"',
      "__ocx_hook; __ocx_hook",
      mark("index updated"),
      '"$REAL" index update 2>/dev/null',
      "__ocx_hook; __ocx_hook",
      mark("binary replaced"),
      'touch "$REAL"',
      "__ocx_hook; __ocx_hook",
      mark("left project"),
      'cd "$OUTSIDE"',
      "__ocx_hook; __ocx_hook",
      mark("idle outside"),
      "__ocx_hook; __ocx_hook",
      mark("project file created"),
      'echo "[env]" > ocx.toml',
      '"$REAL" trust >/dev/null',
      "__ocx_hook; __ocx_hook",
      mark("OCX_HOME changed"),
      dialect.exportVar("OCX_HOME", '"$OUTSIDE/home"'),
      '"$REAL" trust >/dev/null',
      "__ocx_hook; __ocx_hook",
    ], { env: sandbox.env({ LOG: log, ACTIVATION: activation, REAL: binary, OUTSIDE: outside }), cwd: project });

    expect(result.stderr).toBe("");
    expect(await callsPerStep(log)).toEqual({
      activate: 1,
      idle: 0,
      "project file edited": 1,
      "user config written": 1,
      "user config removed": 1,
      "system config written": 1,
      "index updated": 1,
      "binary replaced": 1,
      "left project": 1,
      "idle outside": 0,
      "project file created": 1,
      "OCX_HOME changed": 1,
    });
    expect(result.exitCode).toBe(0);
    await sandbox.cleanup();
  }, 30_000);

  test("ocx install refreshes the next prompt", async () => {
    const sandbox = await Sandbox.create();
    const ref = `${reg}/team/hello:1`;
    await writeProject(sandbox, sandbox.cwd, { tools: { hello: ref } });
    const result = await runDialect(DIALECTS.bash!, [
      "set -eu",
      'eval "$("$OCX" activate bash)"',
      'printf "<%s>\\n" "$PATH"',
      'OCX_OFFLINE= "$OCX" install "$REF" >/dev/null 2>&1',
      "__ocx_hook",
      "hello",
    ], { env: sandbox.env({ OCX: OCX_BINARY, OCX_OFFLINE: "1", REF: ref }), cwd: sandbox.cwd });

    expect(result.stdout).toBe("</usr/bin:/bin>\nhello\n");
    expect(result.stderr).toMatch(/^ocx: error\[[A-Z_]+\]:/);
    await sandbox.cleanup();
  });
});

describe("activation at a real prompt", () => {
  // bash and zsh run prompt hooks for commands read from a pipe with -i;
  // fish fires fish_prompt only on a terminal, so it runs under script(1).
  const INTERACTIVE: Record<string, { argv: string[]; activate: string; print: string }> = {
    bash: { argv: ["/usr/bin/bash", "--norc", "--noprofile", "-i"], activate: 'eval "$("$OCX" activate bash)"', print: "printf '@@<%s>@@\\n' \"${GREETING-unset}\"" },
    zsh: { argv: ["/usr/bin/zsh", "-f", "-i"], activate: 'eval "$("$OCX" activate zsh)"', print: "printf '@@<%s>@@\\n' \"${GREETING-unset}\"" },
    fish: {
      argv: ["/usr/bin/script", "-qfec", "/usr/bin/fish --no-config -i", "/dev/null"],
      activate: '"$OCX" activate fish | source',
      // Spelled in capitals so the echoed command line never matches.
      print: "printf '@@<%s>@@\\n' (set -q GREETING; and echo $GREETING; or echo UNSET | string lower)",
    },
  };

  test.each(Object.keys(INTERACTIVE))("%s applies edits at the next prompt", async (shell) => {
    const setup = INTERACTIVE[shell]!;
    const sandbox = await Sandbox.create();
    const project = join(sandbox.root, "project");
    await writeProject(sandbox, project, { env: { GREETING: "one" } });
    const input = [
      setup.activate,
      'cd "$P"',
      setup.print,
      `echo '[env]' > ocx.toml; echo 'GREETING = "two"' >> ocx.toml; ocx trust >/dev/null`,
      setup.print,
      "cd ..",
      setup.print,
      "exit",
      "",
    ].join("\n");
    const child = Bun.spawn(setup.argv, {
      env: sandbox.env({ OCX: OCX_BINARY, P: project, TERM: "dumb" }),
      cwd: sandbox.cwd,
      stdin: new Blob([input]),
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, exitCode] = await Promise.all([new Response(child.stdout).text(), child.exited]);
    // A terminal echoes the typed commands too; those still hold "%s".
    const values = [...stdout.matchAll(/@@<([^%>]*)>@@/g)].map((match) => match[1]);
    expect(values).toEqual(["one", "two", "unset"]);
    expect(exitCode).toBe(0);
    await sandbox.cleanup();
  });
});
