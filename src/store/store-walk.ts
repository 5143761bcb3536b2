import { readdir, readlink } from "node:fs/promises";
import { existsSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { StoreLayout } from "./layout.ts";

export interface StoreLink {
  /** Path of the symlink. */
  path: string;
  /** Path under the home's root folder (installs/ or artifacts/), with `/`. */
  name: string;
  /** The object it points at, or undefined for a link that does not name one. */
  digest: string | undefined;
  /** Whether the object exists. */
  isLive: boolean;
}

/** Every object digest in the store. */
export async function listObjects(layout: StoreLayout): Promise<string[]> {
  const root = join(layout.home, "objects", "sha256");
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return [];
  }
  return names.filter((name) => /^[a-f0-9]{64}$/.test(name)).map((hex) => `sha256:${hex}`).sort();
}

/** Symlinks under installs/ or artifacts/, with the objects they point at. */
export async function listLinks(layout: StoreLayout, top: "installs" | "artifacts"): Promise<StoreLink[]> {
  const root = join(layout.home, top);
  let names: string[];
  try {
    names = await readdir(root, { recursive: true });
  } catch {
    return [];
  }
  const links: StoreLink[] = [];
  for (const name of names.sort()) {
    const path = join(root, name);
    const target = await readlink(path).catch(() => undefined);
    if (target === undefined || name.endsWith(".tmp")) continue;
    const objectDir = resolve(dirname(path), target);
    const isObject = basename(dirname(objectDir)) === "sha256" && /^[a-f0-9]{64}$/.test(basename(objectDir));
    const digest = isObject ? `sha256:${basename(objectDir)}` : undefined;
    links.push({ path, name, digest, isLive: digest !== undefined && existsSync(objectDir) });
  }
  return links;
}
