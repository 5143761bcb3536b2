import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StoreLayout } from "../../src/store/layout.ts";
import { StoreUsers } from "../../src/store/store-users.ts";

let home: string;
let layout: StoreLayout;
let helper: Bun.Subprocess<"pipe", "ignore", "ignore"> | undefined;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), "ocx-users-"));
  layout = new StoreLayout(home);
});

afterEach(async () => {
  helper?.kill();
  await helper?.exited;
  helper = undefined;
  await rm(home, { recursive: true, force: true });
});

/** A live process other than this one, standing in for another ocx. */
function otherProcess(): number {
  helper = Bun.spawn(["cat"], { stdin: "pipe", stdout: "ignore", stderr: "ignore" });
  return helper.pid;
}

async function writeMarker(pid: number, lines: string[]): Promise<void> {
  await mkdir(join(layout.locksDir(), "users"), { recursive: true });
  await writeFile(join(layout.locksDir(), "users", String(pid)), `${lines.join("\n")}\n`);
}

describe("StoreUsers", () => {
  test("the collector sees digests other processes pinned", async () => {
    await writeMarker(otherProcess(), ["pinned", "sha256:aa"]);
    const usage = await new StoreUsers(layout).exclusive(async (found) => found);
    expect([...usage.pinned]).toEqual(["sha256:aa"]);
  });

  test("the collector waits while another process is resolving", async () => {
    const pid = otherProcess();
    await writeMarker(pid, ["resolving"]);
    let isDone = false;
    const collecting = new StoreUsers(layout).exclusive(async () => {
      isDone = true;
    });
    while (!existsSync(join(layout.locksDir(), "gc.lock"))) await Bun.sleep(1);
    expect(isDone).toBe(false);
    await writeMarker(pid, ["pinned"]);
    await collecting;
    expect(isDone).toBe(true);
  });

  test("markers of processes that no longer run are ignored and removed", async () => {
    const dead = Bun.spawnSync(["true"]).pid;
    await writeMarker(dead, ["resolving", "sha256:bb"]);
    const usage = await new StoreUsers(layout).exclusive(async (found) => found);
    expect(usage.pinned.size).toBe(0);
    expect(existsSync(join(layout.locksDir(), "users", String(dead)))).toBe(false);
  });

  test("a process registers after a running collector finishes", async () => {
    const collector = otherProcess();
    await mkdir(layout.locksDir(), { recursive: true });
    await writeFile(join(layout.locksDir(), "gc.lock"), `${collector} token\n`);
    let hasEntered = false;
    const entering = new StoreUsers(layout).enterShared().then(() => {
      hasEntered = true;
    });
    while (!existsSync(join(layout.locksDir(), "users", String(process.pid)))) await Bun.sleep(1);
    expect(hasEntered).toBe(false);
    await rm(join(layout.locksDir(), "gc.lock"));
    await entering;
    expect(hasEntered).toBe(true);
  });
});
