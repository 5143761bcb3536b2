import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";

import { quotePosix } from "../../src/shell/posix.ts";
import { PWNED_FILES, quotingCorpus, runQuotingScript, type ShellRun } from "./shell-harness.ts";

describe("quotePosix", () => {
  test.each([
    ["plain", "'plain'"],
    ["", "''"],
    ["it's", "'it'\\''s'"],
  ])("quotes %p", (value, expected) => {
    expect(quotePosix(value)).toBe(expected);
  });
});

describe("renderPosix in dash", () => {
  let run: ShellRun;
  beforeAll(async () => {
    run = await runQuotingScript("posix");
  });
  afterAll(async () => {
    await rm(run.dir, { recursive: true, force: true });
  });

  test("runs cleanly under set -eu", () => {
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
