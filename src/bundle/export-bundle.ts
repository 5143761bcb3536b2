import { isOcxError } from "../error/index.ts";
import { sha256Digest } from "../oci/digest.ts";
import { OCI_MANIFEST_NOT_FOUND } from "../oci/errors.ts";
import { LayoutWriter, REF_NAME_ANNOTATION } from "../oci/image-layout.ts";
import { MediaType } from "../oci/media-types.ts";
import { formatPlatform, selectPlatform } from "../oci/platform.ts";
import { formatReference, identifierOf, parseReference, type Reference } from "../oci/reference.ts";
import type { FetchedManifest } from "../oci/registry-client.ts";
import type { Descriptor, ImageIndex, ImageManifest, Platform } from "../oci/types.ts";
import { platformNotFoundError } from "../oci/errors.ts";
import { companionsFor, type DescriptorSource } from "../patch/companions.ts";
import { parsePatchDescriptor } from "../patch/descriptor.ts";
import { globalPatchRepository, PATCH_TAG, patchRepositoryFor } from "../patch/patch-repository.ts";
import { parseMetadata } from "../package/metadata.ts";
import { log } from "../report/reporter.ts";
import type { Session } from "../resolve/session.ts";
import { ABSENT_PATCHES_ANNOTATION, ROLE_ANNOTATION, type BundleRole } from "./errors.ts";

export interface ExportOptions {
  platforms: Platform[];
  /** Blob digests the target home already contains (from `ocx bundle inventory`). */
  missingFrom?: Set<string>;
}

export interface ExportedEntry {
  reference: string;
  role: BundleRole;
  digest: string;
}

export interface ExportResult {
  entries: ExportedEntry[];
  /** Blobs left out because the inventory lists them. */
  skipped: number;
  bytes: number;
}

interface Pending {
  reference: Reference;
  role: BundleRole;
  isPatchable: boolean;
  /** False for a companion an optional rule names: failing to fetch it only warns. */
  isRequired?: boolean;
}

/**
 * Writes roots, their dependencies (transitively), the patch descriptors
 * that apply to them and every companion into an OCI image layout. Each
 * top-level manifest is named in index.json by its full reference.
 */
export async function exportBundle(session: Session, roots: Reference[], writer: LayoutWriter, options: ExportOptions): Promise<ExportResult> {
  const run = new BundleExport(session, writer, options);
  for (const reference of roots) run.enqueue({ reference, role: "root", isPatchable: true });
  await run.drain();
  writer.annotate(ABSENT_PATCHES_ANNOTATION, JSON.stringify([...run.absentPatches].sort()));
  await writer.finish();
  return { entries: run.entries, skipped: run.skipped, bytes: writer.bytes };
}

class BundleExport {
  readonly entries: ExportedEntry[] = [];
  readonly absentPatches = new Set<string>();
  skipped = 0;
  private readonly queue: Pending[] = [];
  private readonly seen = new Map<string, BundleRole>();
  private readonly patched = new Set<string>();

  constructor(
    private readonly session: Session,
    private readonly writer: LayoutWriter,
    private readonly options: ExportOptions,
  ) {}

  enqueue(item: Pending): void {
    this.queue.push(item);
  }

  async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const item = this.queue.shift()!;
      const id = identifierOf(item.reference);
      if (!this.seen.has(id)) {
        this.seen.set(id, item.role);
        const metadataList = await this.exportOptional(item);
        for (const metadata of metadataList) {
          for (const dependency of metadata.dependencies) {
            this.enqueue({
              reference: parseReference(dependency.identifier),
              role: "dependency",
              isPatchable: item.isPatchable,
              ...(item.isRequired === false ? { isRequired: false } : {}),
            });
          }
        }
      }
      if (item.isPatchable && !this.patched.has(id)) {
        this.patched.add(id);
        await this.exportPatches(item.reference);
      }
    }
  }

  private async exportOptional(item: Pending) {
    try {
      return await this.exportPackage(item);
    } catch (error) {
      if (item.isRequired !== false) throw error;
      log(this.session.reporter, "warn", `leaving out optional companion "${formatReference(item.reference)}": ${(error as Error).message}`);
      return [];
    }
  }

  /** Writes a package (every chosen platform of an index) and returns each platform's metadata. */
  private async exportPackage(item: Pending) {
    const { client } = this.session;
    const fetched = await client.getManifest(item.reference);
    const text = formatReference(item.reference);
    log(this.session.reporter, "info", `exporting ${text}`);
    if (!("manifests" in fetched.manifest)) {
      const metadata = await this.writeImage(item.reference, fetched.manifest, fetched.bytes);
      this.addEntry(item, fetched, fetched.bytes);
      return [metadata];
    }

    const index = fetched.manifest;
    const chosen: Descriptor[] = [];
    for (const platform of this.options.platforms) {
      const entry = selectPlatform(index, platform);
      if (entry === undefined) throw platformNotFoundError(formatPlatform(platform), text, index.manifests.map((m) => formatPlatform(m.platform ?? { os: "?", architecture: "?" })));
      if (!chosen.includes(entry)) chosen.push(entry);
    }
    const metadataList = [];
    for (const entry of chosen) {
      const child = await client.getManifest({ ...item.reference, tag: undefined, digest: entry.digest });
      if ("manifests" in child.manifest) throw new Error(`index entry ${entry.digest} of "${text}" is another index`);
      metadataList.push(await this.writeImage(item.reference, child.manifest, child.bytes));
    }
    // All platforms kept: the index goes as is, so its digest stays the registry's.
    const bytes = chosen.length === index.manifests.length
      ? fetched.bytes
      : new TextEncoder().encode(JSON.stringify({ ...index, manifests: chosen } satisfies ImageIndex));
    await this.writer.putBytes(bytes);
    this.addEntry(item, fetched, bytes);
    return metadataList;
  }

  private async writeImage(reference: Reference, manifest: ImageManifest, bytes: Uint8Array) {
    const { client } = this.session;
    await this.writer.putBytes(bytes);
    const configBytes = await client.fetchBlobBytes(reference.registry, reference.repository, manifest.config);
    const metadata = parseMetadata(JSON.parse(new TextDecoder().decode(configBytes)), { source: formatReference(reference) });
    const manifestDigest = sha256Digest(bytes);
    if (this.isHeld(manifestDigest) || this.isHeld(manifest.config.digest)) this.skipped += 1;
    else await this.writer.putBytes(configBytes, manifest.config.digest);
    for (const layer of manifest.layers) {
      if (this.isHeld(manifestDigest) || this.isHeld(layer.digest)) {
        this.skipped += 1;
        continue;
      }
      if (this.writer.has(layer.digest)) continue;
      await this.writer.putStream(await client.fetchBlob(reference.registry, reference.repository, layer), layer);
    }
    return metadata;
  }

  private isHeld(digest: string): boolean {
    return this.options.missingFrom?.has(digest) ?? false;
  }

  private addEntry(item: Pending, fetched: FetchedManifest, bytes: Uint8Array): void {
    const digest = (bytes === fetched.bytes ? fetched.digest : undefined) ?? sha256Digest(bytes);
    const reference = formatReference(item.reference);
    this.writer.addEntry({
      mediaType: fetched.mediaType,
      digest,
      size: bytes.byteLength,
      annotations: { [REF_NAME_ANNOTATION]: reference, [ROLE_ANNOTATION]: item.role },
    });
    this.entries.push({ reference, role: item.role, digest });
  }

  /** Adds the descriptors that apply to `reference` and queues their companions. */
  private async exportPatches(reference: Reference): Promise<void> {
    const sources: DescriptorSource[] = [];
    for (const source of this.session.config.patches) {
      for (const place of [globalPatchRepository(source), patchRepositoryFor(source, reference)]) {
        const descriptor = await this.exportDescriptor(place);
        if (descriptor === undefined) continue;
        // A source that is not required makes each of its rules optional, as at install.
        const rules = source.required ? descriptor.rules : descriptor.rules.map((rule) => ({ ...rule, required: false }));
        sources.push({ source: `${place.registry}/${place.repository}`, descriptor: { ...descriptor, rules } });
      }
    }
    for (const companion of companionsFor(sources, reference)) {
      this.enqueue({ reference: parseReference(companion.reference), role: "companion", isPatchable: false, isRequired: companion.required });
    }
  }

  private readonly descriptors = new Map<string, ReturnType<typeof parsePatchDescriptor> | undefined>();

  private async exportDescriptor(place: { registry: string; repository: string }) {
    const key = `${place.registry}/${place.repository}`;
    if (this.descriptors.has(key)) return this.descriptors.get(key);
    const reference: Reference = { ...place, tag: PATCH_TAG, digest: undefined };
    let fetched: FetchedManifest;
    try {
      fetched = await this.session.client.getManifest(reference);
    } catch (error) {
      if (!isOcxError(error) || error.code !== OCI_MANIFEST_NOT_FOUND) throw error;
      this.absentPatches.add(key);
      this.descriptors.set(key, undefined);
      return undefined;
    }
    const manifest = fetched.manifest as ImageManifest;
    const layer = manifest.layers?.find((entry) => entry.mediaType === MediaType.ocxPatchDescriptor);
    if (layer === undefined) throw new Error(`patch descriptor "${formatReference(reference)}" has no ${MediaType.ocxPatchDescriptor} layer`);
    const bytes = await this.session.client.fetchBlobBytes(place.registry, place.repository, layer);
    const descriptor = parsePatchDescriptor(JSON.parse(new TextDecoder().decode(bytes)), { source: formatReference(reference) });
    await this.writer.putBytes(fetched.bytes);
    await this.writer.putBytes(bytes, layer.digest);
    const configBytes = await this.session.client.fetchBlobBytes(place.registry, place.repository, manifest.config);
    await this.writer.putBytes(configBytes, manifest.config.digest);
    this.addEntry({ reference, role: "patch", isPatchable: false }, fetched, fetched.bytes);
    this.descriptors.set(key, descriptor);
    return descriptor;
  }
}
