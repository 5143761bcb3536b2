import { lstat, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { StoreLayout } from "./layout.ts";
import { isProcessAlive, ownerPidSync } from "./lock.ts";

export interface SweptPath {
  path: string;
  bytes: number;
}

// tmp/<kind>-<pid>-XXXXXX from makeTemporary.
const TEMP_FOLDER = /^[a-z]+-(\d+)-/;
// <name>.<pid>.<8 hex>.tmp from writeFileAtomic and replaceSymlink; <lock>.<pid>.stale.
const TEMP_FILE = /\.(\d+)\.(?:[0-9a-f]{8}\.tmp|stale)$/;

/**
 * Finds (and unless `isDryRun`, removes) what killed processes left behind:
 * half-built object folders under tmp/ and temporary files next to index
 * entries and links. Leftovers of running processes are never touched.
 */
export async function sweepTemporaries(layout: StoreLayout, options: { isDryRun?: boolean } = {}): Promise<SweptPath[]> {
  const found: SweptPath[] = [];
  for (const name of await list(layout.tempRoot())) {
    const pid = Number(TEMP_FOLDER.exec(name)?.[1]);
    if (Number.isInteger(pid) && !isProcessAlive(pid)) found.push(await sized(join(layout.tempRoot(), name)));
  }
  for (const top of ["index", "installs", "artifacts", "locks"]) {
    const root = join(layout.home, top);
    for (const name of await list(root, true)) {
      const pid = Number(TEMP_FILE.exec(name)?.[1]);
      if (Number.isInteger(pid) && !isProcessAlive(pid)) found.push(await sized(join(root, name)));
    }
  }
  found.push(...(await abandonedLocks(layout)));
  if (!options.isDryRun) {
    for (const item of found) await rm(item.path, { recursive: true, force: true });
  }
  return found;
}

/** Lock files and user markers whose owner no longer runs. */
async function abandonedLocks(layout: StoreLayout): Promise<SweptPath[]> {
  const found: SweptPath[] = [];
  const root = layout.locksDir();
  for (const name of await list(root, true)) {
    const isMarker = /^users\/\d+$/.test(name);
    if (!name.endsWith(".lock") && !isMarker) continue;
    const pid = isMarker ? Number(name.slice("users/".length)) : ownerPidSync(join(root, name));
    if (pid !== undefined && !isProcessAlive(pid)) found.push(await sized(join(root, name)));
  }
  return found;
}

async function list(dir: string, isRecursive = false): Promise<string[]> {
  try {
    return await readdir(dir, { recursive: isRecursive });
  } catch {
    return [];
  }
}

/** Bytes a path takes, counting a folder's files. */
export async function sizeOf(path: string): Promise<number> {
  const info = await lstat(path).catch(() => undefined);
  if (info === undefined) return 0;
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const name of await list(path)) total += await sizeOf(join(path, name));
  return total;
}

async function sized(path: string): Promise<SweptPath> {
  return { path, bytes: await sizeOf(path) };
}
