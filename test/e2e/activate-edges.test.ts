import { describe, expect, test } from "bun:test";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { OCX_BINARY, runShell, Sandbox } from "./harness.ts";

describe("activation edge cases", () => {
  test("fish survives a folder name with a newline", async () => {
    const sandbox = await Sandbox.create();
    const folder = join(sandbox.root, "line\nbreak", "inner");
    await mkdir(folder, { recursive: true });
    const script = `cd ${JSON.stringify(folder)}; ${OCX_BINARY} activate fish | source; __ocx_hook; echo survived`;
    const child = Bun.spawn(["timeout", "20", "fish", "-c", script], { env: sandbox.env(), stdout: "pipe", stderr: "pipe" });
    const stdout = await new Response(child.stdout).text();
    expect(stdout).toBe("survived\n");
    expect(await child.exited).toBe(0);
    await sandbox.cleanup();
  });

  test("an unknown SHELL is an error, not POSIX code", async () => {
    const sandbox = await Sandbox.create();
    const result = await sandbox.run(["activate"], { env: { SHELL: "/bin/tcsh" } });
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("SHELL_UNKNOWN");
    expect(result.exitCode).toBe(64);
    await sandbox.cleanup();
  });

  test("dash activation works with SHELL=/bin/sh", async () => {
    const sandbox = await Sandbox.create();
    const result = await runShell("dash", `eval "$(${OCX_BINARY} activate)"; echo ok`, sandbox.env({ SHELL: "/bin/sh" }));
    expect(result.stdout).toBe("ok\n");
    expect(result.exitCode).toBe(0);
    await sandbox.cleanup();
  });
});
