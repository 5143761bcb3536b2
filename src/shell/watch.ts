import { existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DEFAULT_SYSTEM_CONFIG } from "../config/load-config.ts";
import { StoreLayout } from "../store/layout.ts";
import type { Watch } from "./activation-state.ts";

/** Stamps kept per folder; older ones are removed when a new one is written. */
const MAX_STAMPS = 64;

/**
 * Lists the files and folders whose change must refresh an activation:
 * the project file, every config tier (and the folder holding it, so a
 * deleted file shows), the store's index stamp and object folder, the
 * user plugin folder and the plugin files the config names, and the ocx
 * binary. A path that does not exist yet is replaced by its nearest
 * existing ancestor, whose mtime changes when the path is created.
 */
export function watchedPaths(options: {
  home: string;
  env: Record<string, string | undefined>;
  projectFile: string | undefined;
  binary: string;
  pluginFiles?: string[];
}): string[] {
  const { home, env } = options;
  const paths = [
    ...withFolder(env.OCX_SYSTEM_CONFIG || DEFAULT_SYSTEM_CONFIG),
    ...withFolder(join(home, "config.toml")),
    // `ocx trust` and `ocx untrust` decide whether the project file is used.
    ...withFolder(join(home, "trusted.json")),
    existingAncestor(new StoreLayout(home).indexStamp()),
    existingAncestor(join(home, "objects", "sha256")),
    existingAncestor(join(home, "plugins")),
    ...(options.pluginFiles ?? []).map(existingAncestor),
    existingAncestor(options.binary),
  ];
  if (options.projectFile !== undefined) paths.push(existingAncestor(options.projectFile));
  return [...new Set(paths)];
}

/**
 * Writes a stamp file whose mtime is one microsecond past the newest mtime
 * among `files`, so the shell can tell a later change with `-nt` alone.
 * Stamps go under `$OCX_HOME/tmp/stamps`, or the system temporary folder
 * when the home is read-only; without either the hook runs ocx at every
 * prompt. The folder is created before the files are read, because
 * creating it changes the mtime of its parent.
 * NOTE: a watched file changed twice within one tick of the kernel's
 * file clock (a few milliseconds), with this stat in between, keeps its
 * mtime, so that second change is missed until the next one.
 */
export function writeStamp(options: { home: string; files: string[] }): Watch {
  for (const folder of [join(options.home, "tmp", "stamps"), join(tmpdir(), `ocx-stamps-${process.getuid?.() ?? 0}`)]) {
    try {
      mkdirSync(folder, { recursive: true });
    } catch {
      continue;
    }
    const newest = newestMtime(options.files);
    const stamp = join(folder, `${newest}`);
    try {
      writeFileSync(stamp, "");
      const seconds = Number(newest + 1000n) / 1e9;
      utimesSync(stamp, seconds, seconds);
      pruneStamps(folder);
      return { stamp, files: options.files };
    } catch {
      continue;
    }
  }
  return { stamp: null, files: options.files };
}

/** Names the first watched path changed after the stamp, or undefined when none did. */
export function changedSince(watch: Watch): string | undefined {
  if (watch.stamp === null) return "(no stamp)";
  const stamp = mtimeOf(watch.stamp);
  if (stamp === undefined) return watch.stamp;
  return watch.files.find((file) => (mtimeOf(file) ?? 0n) > stamp);
}

function newestMtime(files: string[]): bigint {
  let newest = 0n;
  for (const file of files) {
    const mtime = mtimeOf(file);
    if (mtime !== undefined && mtime > newest) newest = mtime;
  }
  return newest;
}

function mtimeOf(path: string): bigint | undefined {
  try {
    return statSync(path, { bigint: true }).mtimeNs;
  } catch {
    return undefined;
  }
}

function withFolder(file: string): string[] {
  return existsSync(file) ? [file, dirname(file)] : [existingAncestor(file)];
}

function existingAncestor(path: string): string {
  let current = path;
  while (!existsSync(current)) {
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return current;
}

function pruneStamps(folder: string): void {
  const names = readdirSync(folder).filter((name) => /^\d+$/.test(name));
  if (names.length <= MAX_STAMPS) return;
  names.sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  for (const name of names.slice(0, names.length - MAX_STAMPS / 2)) rmSync(join(folder, name), { force: true });
}
