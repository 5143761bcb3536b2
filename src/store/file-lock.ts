import { open, readFile, rm } from "node:fs/promises";
import { ExitCode, OcxError } from "../error/index.ts";
import { isErrnoCode } from "./errors.ts";

export const STORE_LOCK_TIMEOUT = "STORE_LOCK_TIMEOUT";

export interface FileLockOptions {
  /** How long to wait for another process, in milliseconds. */
  timeoutMs?: number;
}

/**
 * Runs `action` while holding `<path>.lock`, a file created exclusively and
 * holding the owner's pid. A lock whose owner no longer runs (a process that
 * was killed) is taken over, so a crash never blocks later runs.
 */
export async function withFileLock<T>(path: string, action: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const lockPath = `${path}.lock`;
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let delayMs = 5;
  for (;;) {
    if (await tryAcquire(lockPath)) break;
    if (await isStale(lockPath)) {
      await rm(lockPath, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new OcxError(STORE_LOCK_TIMEOUT, `timed out waiting for the lock "${lockPath}"`, {
        hint: "another ocx process is still writing; retry, or remove the lock file if no ocx process runs",
        exitCode: ExitCode.temporaryFailure,
      });
    }
    await Bun.sleep(delayMs);
    delayMs = Math.min(delayMs * 2, 100);
  }
  try {
    return await action();
  } finally {
    await rm(lockPath, { force: true });
  }
}

async function tryAcquire(lockPath: string): Promise<boolean> {
  try {
    const handle = await open(lockPath, "wx");
    await handle.writeFile(String(process.pid));
    await handle.close();
    return true;
  } catch (error) {
    if (isErrnoCode(error, "EEXIST")) return false;
    throw error;
  }
}

async function isStale(lockPath: string): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(lockPath, "utf8");
  } catch {
    return false;
  }
  const pid = Number(text);
  // An empty file is a lock being written right now, not a stale one.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return isErrnoCode(error, "ESRCH");
  }
}
