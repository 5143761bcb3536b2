import { mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { slugify } from "../patch/slugify.ts";
import { storeIoError } from "./errors.ts";
import type { StoreLayout } from "./layout.ts";
import { RefStore } from "./refs.ts";
import { listLinks, listObjects, type StoreLink } from "./store-walk.ts";
import { sizeOf, sweepTemporaries } from "./sweep.ts";

export interface GarbageItem {
  kind: "object" | "link" | "temporary";
  path: string;
  digest?: string;
  bytes: number;
  /** Reason for removal. */
  reason: string;
}

export interface CollectOptions {
  /** Objects that running processes use; never collected. */
  pinned: Set<string>;
  /**
   * Prefixes (under artifacts/) of patch repositories the config still
   * names; a descriptor elsewhere is no longer referred to.
   */
  patchPrefixes: string[];
  isDryRun?: boolean;
}

/**
 * Garbage collection by references. Live roots: links under installs/,
 * descriptor links the patch config still refers to, and pinned objects.
 * From there, back-references keep dependencies (while a dependent lives)
 * and companions (while a base they patch lives). Everything else goes,
 * each object renamed out of objects/ first so none is ever half-deleted.
 */
export async function collectGarbage(layout: StoreLayout, options: CollectOptions): Promise<GarbageItem[]> {
  const refs = new RefStore(layout);
  const objects = await listObjects(layout);
  const installs = await listLinks(layout, "installs");
  const artifacts = await listLinks(layout, "artifacts");
  const garbage: GarbageItem[] = [];

  const roots = new Set(options.pinned);
  for (const link of installs) {
    if (link.isLive) roots.add(link.digest!);
    else garbage.push({ kind: "link", path: link.path, bytes: 0, reason: "points at a missing object" });
  }
  for (const link of artifacts) {
    if (!link.isLive) garbage.push({ kind: "link", path: link.path, bytes: 0, reason: "points at a missing object" });
    else if (isConfigured(link, options.patchPrefixes)) roots.add(link.digest!);
    else garbage.push({ kind: "link", path: link.path, bytes: 0, reason: "patch descriptor no longer in the config" });
  }

  const live = await reachable(roots, objects, { refs, patchPrefixes: options.patchPrefixes });
  for (const digest of objects) {
    if (live.has(digest)) continue;
    const path = layout.objectDir(digest);
    garbage.push({ kind: "object", path, digest, bytes: await sizeOf(path), reason: "no install, dependent or patched base refers to it" });
  }
  const temporaries = await sweepTemporaries(layout, { isDryRun: true });
  for (const item of temporaries) garbage.push({ kind: "temporary", ...item, reason: "left by a process that no longer runs" });

  if (!options.isDryRun) await removeAll(layout, garbage);
  return garbage;
}

/** The artifacts/ prefixes of patch registries (`host/base`), as links name them. */
export function patchPrefixesOf(registries: string[]): string[] {
  return registries.map((registry) => {
    const [host, ...base] = registry.trim().replace(/\/+$/, "").split("/");
    return [slugify(host ?? ""), ...base].join("/");
  });
}

/** A patch ref from a registry the config no longer names keeps nothing alive. */
function isSourceConfigured(source: string | undefined, prefixes: string[]): boolean {
  if (source === undefined || !source.includes("/")) return true;
  const [prefix] = patchPrefixesOf([source]);
  return prefixes.some((configured) => prefix === configured || prefix!.startsWith(`${configured}/`));
}

function isConfigured(link: StoreLink, prefixes: string[]): boolean {
  return prefixes.some((prefix) => link.name.startsWith(`${prefix}/`));
}

async function reachable(
  roots: Set<string>,
  objects: string[],
  context: { refs: RefStore; patchPrefixes: string[] },
): Promise<Set<string>> {
  // Back-references point from kept to keeper; turn them into keeper -> kept.
  const keeps = new Map<string, string[]>();
  for (const digest of objects) {
    for (const ref of await context.refs.list(digest)) {
      if (ref.kind === "patch" && !isSourceConfigured(ref.source, context.patchPrefixes)) continue;
      keeps.set(ref.from, [...(keeps.get(ref.from) ?? []), digest]);
    }
  }
  const live = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const digest = queue.pop()!;
    if (live.has(digest)) continue;
    live.add(digest);
    queue.push(...(keeps.get(digest) ?? []));
  }
  return live;
}

async function removeAll(layout: StoreLayout, garbage: GarbageItem[]): Promise<void> {
  const trashRoot = layout.tempRoot();
  try {
    await mkdir(trashRoot, { recursive: true });
    for (const item of garbage) {
      if (item.kind !== "object") {
        await rm(item.path, { recursive: true, force: true });
        continue;
      }
      const trash = await mkdtemp(join(trashRoot, `gc-${process.pid}-`));
      await rename(item.path, join(trash, "object"));
      await rm(trash, { recursive: true, force: true });
    }
  } catch (error) {
    throw storeIoError("collecting garbage in", layout.home, error);
  }
}
