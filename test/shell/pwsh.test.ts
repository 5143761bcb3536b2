import { describe, expect, test } from "bun:test";
import { renderActivation, renderDeactivation, renderFreshCheck } from "../../src/shell/hook.ts";
import { quotePwsh } from "../../src/shell/pwsh.ts";
import { renderEnv } from "../../src/shell/render.ts";
import { checkBrackets, readPwshAssignments, tokenizePwsh } from "./pwsh-parser.ts";
import { quotingCorpus, quotingScript } from "./shell-harness.ts";

// pwsh cannot be installed on this machine, so its output is read by a
// small parser that follows PowerShell's quoting rules instead.
describe("renderPwsh", () => {
  const dir = "/tmp/o'dd $dir";
  const code = renderEnv("pwsh", quotingScript(dir));
  const { set, removed } = readPwshAssignments(code);

  test.each(Object.entries(quotingCorpus(dir)))("keeps %s byte for byte", (key, value) => {
    expect(set.get(key)).toBe(value);
  });

  test("removes unset variables", () => {
    expect(removed).toEqual(["Q_TO_UNSET", "Q_NEVER_SET"]);
  });

  test("balances brackets outside strings", () => {
    expect(() => checkBrackets(tokenizePwsh(code))).not.toThrow();
  });

  test.each(["it\u2019s", "a\u2018b\u201a\u201bc", "'", "''"])("round-trips quote in %p", (value) => {
    const { set: decoded } = readPwshAssignments(`$env:V = ${quotePwsh(value)}`);
    expect(decoded.get("V")).toBe(value);
  });

  test("sends newlines as base64", () => {
    expect(quotePwsh("a\r\nb")).toStartWith("[Text.Encoding]::UTF8.GetString(");
  });
});

describe("pwsh hook", () => {
  const check = {
    project: "/p q/it's/ocx.toml",
    variables: [["OCX_HOME", "/h $x"]] as [string, string][],
    stamp: "/h/tmp/stamps/1",
    files: ["/etc/ocx/config.toml", "/h/ü"],
  };

  test.each([
    ["activation", renderActivation("pwsh", { binary: "/opt/o'cx/bin/ocx" })],
    ["fresh check", renderFreshCheck("pwsh", check)],
    ["fresh check without stamp", renderFreshCheck("pwsh", { ...check, stamp: null })],
    ["deactivation", renderDeactivation("pwsh")],
  ])("parses %s", (_name, code) => {
    expect(() => checkBrackets(tokenizePwsh(code))).not.toThrow();
  });

  test("quotes the binary path", () => {
    const tokens = tokenizePwsh(renderActivation("pwsh", { binary: "/opt/o'cx/bin/ocx" }));
    expect(tokens.filter((token) => token.kind === "single" && token.text === "/opt/o'cx/bin/ocx").length).toBe(3);
  });

  test("wraps the prompt once", () => {
    const code = renderActivation("pwsh", { binary: "/ocx" });
    expect(code).toContain("if (-not (Test-Path -LiteralPath 'variable:global:__ocx_prompt'))");
  });
});
