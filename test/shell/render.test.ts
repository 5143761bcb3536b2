import { describe, expect, test } from "bun:test";

import { ExitCode, OcxError } from "../../src/error/index.ts";
import { SHELL_UNKNOWN, SHELL_VARIABLE_INVALID } from "../../src/shell/errors.ts";
import { parseShellName, renderEnv, SHELL_NAMES } from "../../src/shell/render.ts";

function failure(run: () => unknown): OcxError {
  try {
    run();
  } catch (error) {
    if (error instanceof OcxError) return error;
    throw error;
  }
  throw new Error("expected an OcxError");
}

const script = {
  set: [
    { key: "JAVA_HOME", value: "/jdk", comment: "[patch: corp/ca:1]" },
    { key: "PATH", value: "/a b:/usr/bin" },
  ],
  unset: ["OLD"],
};

describe("renderEnv", () => {
  test("renders bash", () => {
    expect(renderEnv("bash", script)).toBe(
      "export JAVA_HOME='/jdk'\n# [patch: corp/ca:1]\nexport PATH='/a b:/usr/bin'\nunset -v OLD\n",
    );
  });

  test("renders zsh", () => {
    expect(renderEnv("zsh", script)).toBe(
      "export JAVA_HOME='/jdk'\n# [patch: corp/ca:1]\nexport PATH='/a b:/usr/bin'\nunset -v OLD\n",
    );
  });

  test("renders posix", () => {
    expect(renderEnv("posix", script)).toBe(
      "export JAVA_HOME='/jdk'\n# [patch: corp/ca:1]\nexport PATH='/a b:/usr/bin'\nunset -v OLD\n",
    );
  });

  test("renders fish with PATH as list", () => {
    expect(renderEnv("fish", script)).toBe(
      "set -gx -- JAVA_HOME '/jdk'\n# [patch: corp/ca:1]\nset -gx -- PATH '/a b' '/usr/bin'\nif set -q OLD; set -e OLD; end\n",
    );
  });

  test("renders empty fish PATH as empty list", () => {
    expect(renderEnv("fish", { set: [{ key: "PATH", value: "" }], unset: [] })).toBe(
      "set -gx -- PATH\n",
    );
  });

  test("keeps other fish variables whole", () => {
    const set = [{ key: "LD_LIBRARY_PATH", value: "/a:/b" }];
    const output = renderEnv("fish", { set, unset: [] });
    expect(output).toBe("set -gx -- LD_LIBRARY_PATH '/a:/b'\n");
  });

  test.each(SHELL_NAMES)("flattens comment newlines for %s", (shell) => {
    const output = renderEnv(shell, {
      set: [{ key: "A", value: "1", comment: "x\nrm -rf ~\r" }],
      unset: [],
    });
    expect(output.split("\n")[1]).toBe("# x rm -rf ~ ");
  });

  test.each(SHELL_NAMES)("renders nothing for empty script in %s", (shell) => {
    expect(renderEnv(shell, { set: [], unset: [] })).toBe("");
  });

  test.each(["A-B", "1A", "", "A B", "A;touch x", "PÄTH"])("rejects variable name %p", (key) => {
    const error = failure(() => renderEnv("bash", { set: [{ key, value: "x" }], unset: [] }));
    expect(error.message).toStartWith(`invalid variable name "${key}"`);
    expect(error.code).toBe(SHELL_VARIABLE_INVALID);
    expect(error.exitCode).toBe(ExitCode.dataError);
  });

  test("rejects unset name", () => {
    const error = failure(() => renderEnv("fish", { set: [], unset: ["$(id)"] }));
    expect(error.code).toBe(SHELL_VARIABLE_INVALID);
  });

  test("rejects NUL in value", () => {
    const set = [{ key: "A", value: "a\u0000b" }];
    const error = failure(() => renderEnv("zsh", { set, unset: [] }));
    expect(error.message).toBe('invalid value of variable "A": it contains a NUL byte');
    expect(error.code).toBe(SHELL_VARIABLE_INVALID);
  });
});

describe("parseShellName", () => {
  test.each([
    ["bash", "bash"],
    ["zsh", "zsh"],
    ["fish", "fish"],
    ["posix", "posix"],
    ["sh", "posix"],
    ["dash", "posix"],
    ["/usr/bin/zsh", "zsh"],
    [" Bash ", "bash"],
    ["pwsh", "pwsh"],
    ["PowerShell", "pwsh"],
  ])("parses %p as %p", (text, expected) => {
    expect(parseShellName(text)).toBe(expected as ReturnType<typeof parseShellName>);
  });

  test.each(["cmd", "", "ksh", "bash5"])("rejects %p", (text) => {
    const error = failure(() => parseShellName(text));
    expect(error.message).toBe(`unknown shell "${text}"`);
    expect(error.hint).toBe("use one of: bash, zsh, fish, posix, pwsh (sh and dash mean posix, powershell means pwsh)");
    expect(error.code).toBe(SHELL_UNKNOWN);
    expect(error.exitCode).toBe(ExitCode.usage);
  });
});
