import { ExitCode, OcxError } from "../error/index.ts";
import { LayoutReader, REF_NAME_ANNOTATION } from "../oci/image-layout.ts";
import { parseManifest } from "../oci/manifest.ts";
import { MediaType } from "../oci/media-types.ts";
import { formatPlatform } from "../oci/platform.ts";
import { formatReference, tryParseReference, type Reference } from "../oci/reference.ts";
import type { Descriptor, ImageManifest } from "../oci/types.ts";
import { log } from "../report/reporter.ts";
import { ARTIFACT_LAYER_FILE } from "../resolve/artifact-store.ts";
import type { Session } from "../resolve/session.ts";
import { PATCH_TAG } from "../patch/patch-repository.ts";
import { replaceSymlink } from "../store/atomic.ts";
import type { TagEntry } from "../store/local-index.ts";
import {
  ABSENT_PATCHES_ANNOTATION,
  BUNDLE_DIGEST_MISMATCH,
  BUNDLE_INCOMPLETE,
  bundleInvalid,
  ROLE_ANNOTATION,
  type BundleRole,
} from "./errors.ts";

/** One platform manifest the bundle carries for a reference. */
interface PlannedImage {
  digest: string;
  bytes: Uint8Array;
  manifest: ImageManifest;
  /** `os/arch` for entries of an image index. */
  platform?: string;
}

interface PlannedEntry {
  reference: Reference;
  role: BundleRole;
  descriptor: Descriptor;
  images: PlannedImage[];
}

export interface ImportedEntry {
  reference: string;
  role: BundleRole;
  digest: string;
}

export interface ImportResult {
  entries: ImportedEntry[];
  /** Roots, for building their graph offline afterwards. */
  roots: Reference[];
  installed: number;
}

/**
 * Imports an OCI image layout into the home. First it hashes every blob
 * file and checks that each entry is complete: every blob is in the bundle
 * or its object is already installed. Only then does it write anything, so
 * a damaged or partial bundle changes nothing.
 */
export async function importBundle(session: Session, reader: LayoutReader, source: string): Promise<ImportResult> {
  const plan = await planImport(session, reader, source);
  await session.users.enterShared();
  const digests = plan.entries.flatMap((entry) => entry.images.map((image) => image.digest));
  try {
    let installed = 0;
    for (const entry of plan.entries) installed += await applyEntry(session, reader, entry);
    for (const place of plan.absentPatches) {
      await session.index.record(place.registry, place.repository, PATCH_TAG, null);
    }
    const roots = plan.entries.filter((entry) => entry.role === "root").map((entry) => entry.reference);
    const entries = plan.entries.map((entry) => ({ reference: formatReference(entry.reference), role: entry.role, digest: entry.descriptor.digest }));
    return { entries, roots, installed };
  } finally {
    await session.users.pin(digests);
  }
}

async function planImport(session: Session, reader: LayoutReader, source: string) {
  let index;
  try {
    index = await reader.readIndex();
  } catch (error) {
    throw bundleInvalid(source, (error as Error).message);
  }
  for (const digest of await reader.listBlobs()) {
    if (!(await reader.checkBlob(digest))) {
      throw new OcxError(BUNDLE_DIGEST_MISMATCH, `cannot import bundle "${source}": blob ${digest} does not match its digest`, {
        hint: "the bundle was damaged in transit; copy it again (nothing was imported)",
        exitCode: ExitCode.dataError,
      });
    }
  }

  const missing = new Set<string>();
  const entries: PlannedEntry[] = [];
  for (const descriptor of index.manifests) {
    const entry = await planEntry(session, reader, descriptor, { source, missing });
    if (entry !== undefined) entries.push(entry);
  }
  if (missing.size > 0) {
    const list = [...missing].slice(0, 5).join(", ");
    throw new OcxError(BUNDLE_INCOMPLETE, `cannot import bundle "${source}": ${missing.size} blob(s) are neither in it nor installed here: ${list}`, {
      hint: "export again with an inventory of this home (`ocx bundle inventory`), or without --missing-from; nothing was imported",
      exitCode: ExitCode.dataError,
    });
  }
  return { entries, absentPatches: absentPatches(index.annotations?.[ABSENT_PATCHES_ANNOTATION]) };
}

async function planEntry(
  session: Session,
  reader: LayoutReader,
  descriptor: Descriptor,
  context: { source: string; missing: Set<string> },
): Promise<PlannedEntry | undefined> {
  const name = descriptor.annotations?.[REF_NAME_ANNOTATION];
  if (name === undefined) {
    log(session.reporter, "warn", `skipping manifest ${descriptor.digest} in the bundle: it has no ${REF_NAME_ANNOTATION}`);
    return undefined;
  }
  const parsed = tryParseReference(name);
  if (!parsed.ok || parsed.value.tag === undefined && parsed.value.digest === undefined || !name.includes("/")) {
    throw bundleInvalid(context.source, `entry "${name}" is not a full reference (registry/repository:tag); name entries like skopeo copy ... "oci:DIR:localhost:5000/tools/jq:1.7"`);
  }
  const reference = parsed.value;
  const role = (descriptor.annotations?.[ROLE_ANNOTATION] as BundleRole | undefined)
    ?? (reference.tag === PATCH_TAG ? "patch" : "root");
  if (!reader.has(descriptor.digest)) {
    context.missing.add(descriptor.digest);
    return undefined;
  }
  const bytes = await reader.readBytes(descriptor);
  const manifest = parseManifest(bytes, descriptor.mediaType);
  if (!manifest.ok) throw bundleInvalid(context.source, `manifest of "${name}": ${manifest.reason}`);

  const images: PlannedImage[] = [];
  if (manifest.value.kind === "manifest") {
    images.push({ digest: descriptor.digest, bytes, manifest: manifest.value.manifest });
  } else {
    for (const child of manifest.value.manifest.manifests) {
      if (!reader.has(child.digest)) continue;
      const childBytes = await reader.readBytes(child);
      const childManifest = parseManifest(childBytes, child.mediaType);
      if (!childManifest.ok || childManifest.value.kind !== "manifest") throw bundleInvalid(context.source, `index entry ${child.digest} of "${name}" is not an image manifest`);
      const platform = child.platform ? formatPlatform(child.platform) : undefined;
      images.push({ digest: child.digest, bytes: childBytes, manifest: childManifest.value.manifest, ...(platform ? { platform } : {}) });
    }
    if (images.length === 0) context.missing.add(manifest.value.manifest.manifests[0]?.digest ?? descriptor.digest);
  }
  for (const image of images) {
    if (session.objects.has(image.digest)) continue;
    const needed = role === "patch"
      ? image.manifest.layers.filter((layer) => layer.mediaType === MediaType.ocxPatchDescriptor)
      : [image.manifest.config, ...image.manifest.layers];
    for (const blob of needed) if (!reader.has(blob.digest)) context.missing.add(blob.digest);
  }
  return { reference, role, descriptor, images };
}

/** Installs an entry's objects and records its tag; returns how many objects are new. */
async function applyEntry(session: Session, reader: LayoutReader, entry: PlannedEntry): Promise<number> {
  const { reference } = entry;
  if (entry.role === "patch") {
    await applyPatch(session, reader, entry);
    return 0;
  }
  let installed = 0;
  for (const image of entry.images) {
    // Installed already: a bundle made with --missing-from may lack its blobs.
    if (session.objects.has(image.digest)) continue;
    const object = await session.objects.install({
      client: reader,
      registry: reference.registry,
      repository: reference.repository,
      identifier: formatReference(reference),
      digest: image.digest,
      manifest: image.manifest,
      manifestBytes: image.bytes,
      configBytes: await reader.readBytes(image.manifest.config),
      reporter: session.reporter,
    });
    if (object.isNew) installed += 1;
  }
  if (reference.tag !== undefined && reference.digest === undefined) {
    const entryToRecord = tagEntry(entry);
    const previous = await session.index.lookup(reference.registry, reference.repository, reference.tag);
    if (previous.state === "present" && previous.entry.digest !== entryToRecord.digest) {
      log(session.reporter, "info", `${formatReference(reference)} now names ${entryToRecord.digest} (was ${previous.entry.digest})`);
    }
    await session.index.record(reference.registry, reference.repository, reference.tag, entryToRecord);
  }
  return installed;
}

function tagEntry(entry: PlannedEntry): TagEntry {
  const { descriptor, images } = entry;
  if (images.length === 1 && images[0]!.platform === undefined) {
    return { digest: descriptor.digest, mediaType: descriptor.mediaType };
  }
  const platforms: Record<string, string> = {};
  for (const image of images) if (image.platform !== undefined) platforms[image.platform] = image.digest;
  return { digest: descriptor.digest, mediaType: MediaType.imageIndex, platforms };
}

async function applyPatch(session: Session, reader: LayoutReader, entry: PlannedEntry): Promise<void> {
  const image = entry.images[0];
  if (image === undefined) return;
  const { registry, repository } = entry.reference;
  const layer = image.manifest.layers.find((item) => item.mediaType === MediaType.ocxPatchDescriptor);
  if (layer === undefined) throw bundleInvalid(reader.dir, `patch "${formatReference(entry.reference)}" has no descriptor layer`);
  const files: Record<string, Uint8Array> = session.objects.has(image.digest)
    ? {}
    : { "manifest.json": image.bytes, [ARTIFACT_LAYER_FILE]: await reader.readBytes(layer) };
  const objectDir = await session.objects.storeArtifact(image.digest, files);
  const link = session.layout.artifactLink(registry, repository);
  await replaceSymlink(session.layout.relativeTarget(link, objectDir), link);
  await session.index.record(registry, repository, PATCH_TAG, { digest: image.digest, mediaType: entry.descriptor.mediaType });
}

function absentPatches(text: string | undefined): { registry: string; repository: string }[] {
  if (text === undefined) return [];
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(list)) return [];
  return list
    .filter((item): item is string => typeof item === "string" && item.includes("/"))
    .map((item) => ({ registry: item.slice(0, item.indexOf("/")), repository: item.slice(item.indexOf("/") + 1) }));
}
