import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { quoteFish, renderFish } from "../../src/shell/fish.ts";
import { PWNED_FILES, quotingCorpus, runQuotingScript, type ShellRun } from "./shell-harness.ts";

describe("quoteFish", () => {
  test.each([
    ["plain", "'plain'"],
    ["", "''"],
    ["it's", "'it\\'s'"],
    ["a\\b", "'a\\\\b'"],
    ["$x\n", "'$x\n'"],
  ])("quotes %p", (value, expected) => {
    expect(quoteFish(value)).toBe(expected);
  });
});

describe("renderFish in fish", () => {
  let run: ShellRun;
  beforeAll(async () => {
    run = await runQuotingScript("fish");
  });
  afterAll(async () => {
    await rm(run.dir, { recursive: true, force: true });
  });

  test("runs cleanly when sourced", () => {
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

describe("renderFish empty PATH elements", () => {
  // NOTE: today's behaviour: fish exports an empty PATH element as ".".
  test("fish exports empty element as dot", async () => {
    const script = renderFish({ set: [{ key: "PATH", value: "/a::/b" }], unset: [] });
    const child = Bun.spawn(
      ["/usr/bin/fish", "--no-config", "-c", `${script}/usr/bin/printenv PATH`],
      { env: { HOME: tmpdir(), PATH: "/usr/bin:/bin" }, stdout: "pipe", stderr: "pipe" },
    );
    const stdout = await new Response(child.stdout).text();
    expect(stdout).toBe("/a:.:/b\n");
  });
});
