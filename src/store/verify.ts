import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { sha256Digest } from "../oci/digest.ts";
import { MediaType } from "../oci/media-types.ts";
import { contentDigest } from "./content-digest.ts";
import type { StoreLayout } from "./layout.ts";
import { CONTENT_DIGEST_FILE } from "./object-store.ts";
import { listLinks, listObjects } from "./store-walk.ts";
import { sweepTemporaries } from "./sweep.ts";

export interface StoreProblem {
  kind: "broken-object" | "dangling-link" | "leftover";
  path: string;
  digest?: string;
  message: string;
}

export interface VerifyResult {
  objects: number;
  problems: StoreProblem[];
}

/**
 * Re-checks every object: manifest.json against the object's digest,
 * metadata.json and the patch descriptor against the manifest, and content/
 * against the tree digest taken at install. Also reports links to missing
 * objects and leftovers of killed processes.
 */
export async function verifyStore(layout: StoreLayout): Promise<VerifyResult> {
  const objects = await listObjects(layout);
  const problems: StoreProblem[] = [];
  for (const digest of objects) {
    const message = await checkObject(layout.objectDir(digest), digest);
    if (message !== undefined) problems.push({ kind: "broken-object", path: layout.objectDir(digest), digest, message });
  }
  for (const top of ["installs", "artifacts"] as const) {
    for (const link of await listLinks(layout, top)) {
      if (!link.isLive) problems.push({ kind: "dangling-link", path: link.path, message: "points at a missing object" });
    }
  }
  for (const item of await sweepTemporaries(layout, { isDryRun: true })) {
    problems.push({ kind: "leftover", path: item.path, message: "left by a process that no longer runs; `ocx clean` removes it" });
  }
  return { objects: objects.length, problems };
}

async function checkObject(dir: string, digest: string): Promise<string | undefined> {
  const manifestBytes = await readBytes(join(dir, "manifest.json"));
  if (manifestBytes === undefined) return "manifest.json is missing";
  const actual = sha256Digest(manifestBytes);
  if (actual !== digest) return `manifest.json has digest ${actual}`;
  let manifest: { config?: { digest?: string }; layers?: { digest?: string; mediaType?: string }[] };
  try {
    manifest = JSON.parse(new TextDecoder().decode(manifestBytes));
  } catch {
    return "manifest.json is not JSON";
  }

  // Artifacts (patch descriptors) keep their single layer as a file named "layer".
  if (existsSync(join(dir, "layer"))) {
    const layer = manifest.layers?.find((entry) => entry.mediaType === MediaType.ocxPatchDescriptor) ?? manifest.layers?.[0];
    return checkFile(join(dir, "layer"), layer?.digest, "layer");
  }
  const metadataProblem = await checkFile(join(dir, "metadata.json"), manifest.config?.digest, "metadata.json");
  if (metadataProblem !== undefined) return metadataProblem;
  if (!existsSync(join(dir, "content"))) return "content/ is missing";
  const expected = (await readFile(join(dir, CONTENT_DIGEST_FILE), "utf8").catch(() => undefined))?.trim();
  // Objects installed before tree digests were recorded cannot be checked deeper.
  if (expected === undefined) return undefined;
  const tree = await contentDigest(join(dir, "content"));
  return tree === expected ? undefined : `content/ differs from what was installed (tree digest ${tree}, expected ${expected})`;
}

async function checkFile(path: string, expected: string | undefined, name: string): Promise<string | undefined> {
  const bytes = await readBytes(path);
  if (bytes === undefined) return `${name} is missing`;
  const actual = sha256Digest(bytes);
  return actual === expected ? undefined : `${name} has digest ${actual}, the manifest says ${expected}`;
}

async function readBytes(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch {
    return undefined;
  }
}
