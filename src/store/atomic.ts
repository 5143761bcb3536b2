import { mkdir, rename, rm, symlink, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

/** Writes a file by renaming a sibling temporary file over it, so readers see old or new, never half. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.${uniqueSuffix()}.tmp`;
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Points `linkPath` at `target` (relative), replacing any previous link atomically. */
export async function replaceSymlink(target: string, linkPath: string): Promise<void> {
  await mkdir(dirname(linkPath), { recursive: true });
  const temporary = `${linkPath}.${process.pid}.${uniqueSuffix()}.tmp`;
  try {
    await symlink(target, temporary);
    await rename(temporary, linkPath);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

// Web Crypto is built in; importing node:crypto would add about 20 ms to every start.
function uniqueSuffix(): string {
  return crypto.randomUUID().slice(0, 8);
}
