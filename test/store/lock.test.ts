import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { acquireLock, withLock } from "../../src/store/lock.ts";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "ocx-lock-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A pid that ran and exited, so no process has it now. */
function deadPid(): number {
  const child = Bun.spawnSync(["true"]);
  return child.pid;
}

describe("acquireLock", () => {
  test("writes the owner's pid and removes the file on release", async () => {
    const path = join(dir, "a.lock");
    const lock = await acquireLock(path);
    expect((await readFile(path, "utf8")).split(" ")[0]).toBe(String(process.pid));
    await lock.release();
    expect(existsSync(path)).toBe(false);
  });

  test("recovers a lock whose owner no longer runs", async () => {
    const path = join(dir, "stale.lock");
    await writeFile(path, `${deadPid()} killed\n`);
    const lock = await acquireLock(path);
    expect(await readFile(path, "utf8")).toStartWith(`${process.pid} `);
    await lock.release();
  });

  test("recovers an old lock file its owner never wrote", async () => {
    const path = join(dir, "empty.lock");
    await writeFile(path, "");
    const old = new Date(Date.now() - 60_000);
    await utimes(path, old, old);
    const lock = await acquireLock(path);
    await lock.release();
  });

  test("waits while a live holder keeps it", async () => {
    const path = join(dir, "busy.lock");
    const order: string[] = [];
    const first = await acquireLock(path);
    let waited = 0;
    const second = withLock(path, async () => void order.push("second"), { onWait: () => void (waited += 1) });
    while (waited === 0) await Bun.sleep(1);
    order.push("first");
    await first.release();
    await second;
    expect(order).toEqual(["first", "second"]);
  });

  test("serializes many waiters without losing one", async () => {
    const path = join(dir, "counter.lock");
    const file = join(dir, "counter");
    await writeFile(file, "0");
    await Promise.all(Array.from({ length: 10 }, () => withLock(path, async () => {
      const value = Number(await readFile(file, "utf8"));
      await Bun.sleep(0);
      await writeFile(file, String(value + 1));
    })));
    expect(await readFile(file, "utf8")).toBe("10");
  });
});
