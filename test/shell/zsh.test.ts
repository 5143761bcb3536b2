import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";

import { quoteZsh } from "../../src/shell/zsh.ts";
import { PWNED_FILES, quotingCorpus, runQuotingScript, type ShellRun } from "./shell-harness.ts";

describe("quoteZsh", () => {
  test.each([
    ["plain", "'plain'"],
    ["", "''"],
    ["it's", "'it'\\''s'"],
  ])("quotes %p", (value, expected) => {
    expect(quoteZsh(value)).toBe(expected);
  });
});

describe("renderZsh in zsh", () => {
  let run: ShellRun;
  beforeAll(async () => {
    run = await runQuotingScript("zsh");
  });
  afterAll(async () => {
    await rm(run.dir, { recursive: true, force: true });
  });

  test("runs cleanly under setopt nounset", () => {
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
  });

  test.each(Object.keys(quotingCorpus("DIR")))("keeps %s byte for byte", (key) => {
    expect(run.env.get(key)).toBe(quotingCorpus(run.dir)[key] as string);
  });

  test("unsets variable", () => {
    expect(run.env.has("Q_TO_UNSET")).toBe(false);
  });

  test.each(PWNED_FILES)("never creates %s", (file) => {
    expect(existsSync(join(run.dir, file))).toBe(false);
  });
});
