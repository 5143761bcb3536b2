import { describe, expect, test } from "bun:test";
import { StderrReporter } from "../../src/cli/stderr-reporter.ts";
import type { OcxEvent } from "../../src/report/reporter.ts";

const MiB = 1024 * 1024;

/** A reporter with a fake clock; returns what it wrote. */
function render(
  events: (OcxEvent | number)[],
  options: { isTerminal: boolean; isProgressForced?: boolean; level?: "info" | "error" },
): string {
  let now = 0;
  let output = "";
  const reporter = new StderrReporter({
    level: options.level ?? "info",
    isColor: false,
    isTerminal: options.isTerminal,
    isProgressForced: options.isProgressForced ?? false,
    write: (text) => void (output += text),
    now: () => now,
  });
  for (const event of events) {
    if (typeof event === "number") now = event;
    else reporter.emit(event);
  }
  return output;
}

const DOWNLOAD: (OcxEvent | number)[] = [
  { kind: "package-start", package: "reg/team/big:1", size: 10 * MiB },
  1000,
  { kind: "download-progress", package: "reg/team/big:1", digest: "sha256:a", received: 4 * MiB, size: 10 * MiB },
  2000,
  { kind: "download-progress", package: "reg/team/big:1", digest: "sha256:a", received: 10 * MiB, size: 10 * MiB },
  { kind: "package-end", package: "reg/team/big:1", size: 10 * MiB, ms: 2000 },
];

describe("StderrReporter progress", () => {
  test("prints nothing off a terminal", () => {
    expect(render(DOWNLOAD, { isTerminal: false })).toBe("");
  });

  test("prints lines with rate off a terminal under --progress", () => {
    const output = render(DOWNLOAD, { isTerminal: false, isProgressForced: true });
    expect(output.split("\n")).toEqual([
      "downloading reg/team/big:1 (10.0 MiB)",
      "reg/team/big:1: 4.0 MiB / 10.0 MiB 4.0 MiB/s",
      "reg/team/big:1: 10.0 MiB / 10.0 MiB 5.0 MiB/s",
      "downloaded reg/team/big:1: 10.0 MiB in 2.0 s (5.0 MiB/s)",
      "",
    ]);
  });

  test("draws a bar per package on a terminal", () => {
    const output = render(DOWNLOAD.slice(0, 3), { isTerminal: true });
    expect(output).toContain("[##########..............] 4.0 MiB / 10.0 MiB 4.0 MiB/s  reg/team/big:1");
  });

  test("redraws bars in place and removes them at the end", () => {
    const output = render(DOWNLOAD, { isTerminal: true });
    expect(output).toContain("\x1b[1A\x1b[0J");
    expect(output.endsWith("\x1b[1A\x1b[0J")).toBe(true);
  });

  test("keeps one line per package for parallel downloads", () => {
    const output = render(
      [
        { kind: "package-start", package: "a", size: 100 },
        { kind: "package-start", package: "b", size: 100 },
      ],
      { isTerminal: true },
    );
    expect(output.split("\x1b[0J").at(-1)!.trim().split("\n")).toHaveLength(2);
  });

  test("shows nothing under --quiet", () => {
    expect(render(DOWNLOAD, { isTerminal: true, level: "error" })).toBe("");
  });

  test("clears the bars before a log line", () => {
    const output = render(
      [DOWNLOAD[0]!, { kind: "log", level: "warn", message: "retrying" }],
      { isTerminal: true },
    );
    expect(output).toMatch(/\x1b\[1A\x1b\[0Jwarn: retrying\n$/);
  });
});
