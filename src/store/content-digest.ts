import { lstat, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";

/**
 * A digest over an extracted tree: every entry's path, type, executable bit
 * and content (or link target), in sorted order. Stored with each object at
 * install time, so `ocx verify` can tell a damaged tree without the layer
 * blobs, which the store does not keep.
 */
export async function contentDigest(root: string): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  await hashTree(root, "", hasher);
  return `sha256:${hasher.digest("hex")}`;
}

async function hashTree(root: string, prefix: string, hasher: Bun.CryptoHasher): Promise<void> {
  const names = (await readdir(join(root, prefix))).sort();
  for (const name of names) {
    const path = prefix === "" ? name : `${prefix}/${name}`;
    const full = join(root, path);
    const info = await lstat(full);
    if (info.isSymbolicLink()) {
      hasher.update(`L ${path} ${await readlink(full)}\n`);
    } else if (info.isDirectory()) {
      hasher.update(`D ${path}\n`);
      await hashTree(root, path, hasher);
    } else if (info.isFile()) {
      const isExecutable = (info.mode & 0o111) !== 0;
      hasher.update(`F ${path} ${isExecutable ? "x" : "-"} ${info.size} ${await fileDigest(full)}\n`);
    } else {
      hasher.update(`O ${path}\n`);
    }
  }
}

export async function fileDigest(path: string): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  for await (const chunk of Bun.file(path).stream()) hasher.update(chunk);
  return `sha256:${hasher.digest("hex")}`;
}
