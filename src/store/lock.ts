import { link, mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { isErrnoCode, storeIoError } from "./errors.ts";

/** An exclusive lock held by this process; `release` is idempotent. */
export interface HeldLock {
  path: string;
  release(): Promise<void>;
}

export interface LockOptions {
  /** Called once when the lock is busy, e.g. to log its owner. */
  onWait?: (owner: number) => void;
}

const FIRST_WAIT_MS = 5;
const MAX_WAIT_MS = 100;

/**
 * Takes an exclusive lock file, created with O_EXCL and holding the owner's
 * pid. A lock whose owner no longer runs (killed with -9) is recovered, so
 * a crash never blocks the next process. Waits while a live owner holds it.
 */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<HeldLock> {
  const token = `${process.pid} ${crypto.randomUUID()}\n`;
  let wait = FIRST_WAIT_MS;
  let hasReportedWait = false;
  for (;;) {
    if (await tryCreate(path, token)) return heldLock(path, token);
    const owner = await readOwner(path);
    if (owner !== undefined && isStale(owner)) {
      await removeStale(path, owner.text);
      continue;
    }
    if (owner !== undefined && !hasReportedWait) {
      hasReportedWait = true;
      options.onWait?.(owner.pid);
    }
    await Bun.sleep(wait);
    wait = Math.min(wait * 2, MAX_WAIT_MS);
  }
}

/** Runs `body` while holding the lock at `path`. */
export async function withLock<T>(path: string, body: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const lock = await acquireLock(path, options);
  try {
    return await body();
  } finally {
    await lock.release();
  }
}

export function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return isErrnoCode(error, "EPERM");
  }
}

/** Reads the pid in a lock or marker file; undefined when unreadable. */
export function ownerPidSync(path: string): number | undefined {
  try {
    return parsePid(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
}

async function tryCreate(path: string, token: string): Promise<boolean> {
  try {
    await mkdir(dirname(path), { recursive: true });
    const handle = await open(path, "wx");
    try {
      await handle.writeFile(token);
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if (isErrnoCode(error, "EEXIST")) return false;
    throw storeIoError("locking", path, error);
  }
}

interface LockOwner {
  pid: number;
  text: string;
  ageMs: number;
}

// A lock file without a pid is being written; only an old one is abandoned.
const UNWRITTEN_LOCK_MS = 2_000;

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(path, "utf8"), stat(path)]);
    return { pid: parsePid(text) ?? 0, text, ageMs: Date.now() - info.mtimeMs };
  } catch {
    return undefined;
  }
}

function isStale(owner: LockOwner): boolean {
  if (owner.pid === 0) return owner.ageMs > UNWRITTEN_LOCK_MS;
  return !isProcessAlive(owner.pid);
}

function parsePid(text: string): number | undefined {
  const pid = Number(text.split(" ", 1)[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Moves the stale lock aside before deleting it, then checks that what it
 * moved is the stale one: two processes recovering the same lock must not
 * delete a fresh lock the faster one just took.
 */
async function removeStale(path: string, staleText: string): Promise<void> {
  const aside = `${path}.${process.pid}.stale`;
  try {
    await rename(path, aside);
  } catch {
    return;
  }
  const moved = await readFile(aside, "utf8").catch(() => staleText);
  if (moved !== staleText) await link(aside, path).catch(() => {});
  await rm(aside, { force: true });
}

function heldLock(path: string, token: string): HeldLock {
  let isReleased = false;
  return {
    path,
    async release() {
      if (isReleased) return;
      isReleased = true;
      // Only our own lock is removed, even if a bug let another process take it.
      const text = await readFile(path, "utf8").catch(() => undefined);
      if (text === token) await rm(path, { force: true });
    },
  };
}

