import { readlink } from "node:fs/promises";
import { isOcxError } from "../error/index.ts";
import { OCI_MANIFEST_NOT_FOUND, OCI_UNREACHABLE } from "../oci/errors.ts";
import { MediaType, isIndexMediaType } from "../oci/media-types.ts";
import { formatReference, identifierOf, parseReference, type Reference } from "../oci/reference.ts";
import type { RegistryClient } from "../oci/registry-client.ts";
import type { ImageManifest, Platform } from "../oci/types.ts";
import { parseMetadata, type PackageMetadata } from "../package/metadata.ts";
import { log, type Reporter } from "../report/reporter.ts";
import { replaceSymlink } from "../store/atomic.ts";
import { notAvailableOffline, storeIoError } from "../store/errors.ts";
import type { StoreLayout } from "../store/layout.ts";
import type { LocalIndex, TagEntry } from "../store/local-index.ts";
import { checkIsPackage, parseConfigBytes, type ObjectStore } from "../store/object-store.ts";

/**
 * A package whose manifest and metadata are known. Its paths are final even
 * before it is installed, so the environment can be composed (and plugins
 * can fail) before anything is written to the store.
 */
export interface PlannedPackage {
  reference: Reference;
  identifier: string;
  /** The platform manifest digest; also the object's name in the store. */
  digest: string;
  metadata: PackageMetadata;
  objectDir: string;
  contentDir: string;
  isInstalled: boolean;
  /** The download source, for packages not yet installed. */
  source?: { registry: string; repository: string; manifest: ImageManifest; manifestBytes: Uint8Array; configBytes: Uint8Array };
  /** The local index entry to record once installed, when the registry was asked. */
  tagEntry?: TagEntry;
}

export interface PackageResolverOptions {
  layout: StoreLayout;
  index: LocalIndex;
  objects: ObjectStore;
  client: RegistryClient;
  platform: Platform;
  isOffline: boolean;
  reporter: Reporter;
  maxPackageBytes?: number;
  /** References to pull from, in order (mirrors first); the default is the reference itself. */
  candidates?: (reference: string) => Promise<string[]>;
}

/**
 * Turns references into planned packages and installs them. Reads the local
 * index first, so an installed, synced tag needs no network. It queries the
 * registry only for what is missing, or for every tag when `refresh` is set
 * (install, index update).
 */
export class PackageResolver {
  // One plan per reference and mode per command: companions and shared
  // dependencies are reached more than once while the graph is built.
  private readonly plans = new Map<string, Promise<PlannedPackage>>();

  constructor(private readonly options: PackageResolverOptions) {}

  platformKey(): string {
    const { os, architecture, variant } = this.options.platform;
    return variant ? `${os}/${architecture}/${variant}` : `${os}/${architecture}`;
  }

  plan(reference: Reference, options: { refresh?: boolean } = {}): Promise<PlannedPackage> {
    const key = `${formatReference(reference)} ${options.refresh === true}`;
    let planned = this.plans.get(key);
    if (planned === undefined) this.plans.set(key, (planned = this.planOnce(reference, options)));
    return planned;
  }

  private async planOnce(reference: Reference, options: { refresh?: boolean }): Promise<PlannedPackage> {
    const useLocal = !options.refresh || this.options.isOffline;
    if (useLocal) {
      const local = await this.planLocally(reference);
      if (local !== undefined) return local;
      if (this.options.isOffline) {
        throw notAvailableOffline(identifierOf(reference), "it is not installed and synced on this host");
      }
    }
    return this.planRemotely(reference);
  }

  /** Plans a reference from the local index alone; undefined when it is not installed. */
  async planLocally(reference: Reference): Promise<PlannedPackage | undefined> {
    const digest = await this.localDigest(reference);
    if (digest === undefined || !this.options.objects.has(digest)) return undefined;
    const identifier = identifierOf(reference);
    const object = await this.options.objects.read(digest, identifier);
    return { reference, identifier, digest, metadata: object.metadata, objectDir: object.objectDir, contentDir: object.contentDir, isInstalled: true };
  }

  /** Asks the registry (or its mirrors) what the reference names now, and reads its metadata. */
  async planRemotely(reference: Reference): Promise<PlannedPackage> {
    const { client, platform, layout, objects } = this.options;
    const identifier = identifierOf(reference);
    const { pulledFrom, fetched } = await this.fetchManifest(reference, platform);
    const tagEntry = reference.digest === undefined && reference.tag !== undefined ? this.tagEntry(fetched) : undefined;
    const isInstalled = objects.has(fetched.digest);
    const configBytes = isInstalled
      ? undefined
      : await client.fetchBlobBytes(pulledFrom.registry, pulledFrom.repository, fetched.manifest.config);
    const metadata = isInstalled
      ? (await objects.read(fetched.digest, identifier)).metadata
      : parseMetadata(parseConfigJson(configBytes!, identifier, fetched.manifest), { source: identifier });
    return {
      reference,
      identifier,
      digest: fetched.digest,
      metadata,
      objectDir: layout.objectDir(fetched.digest),
      contentDir: layout.contentDir(fetched.digest),
      isInstalled,
      ...(isInstalled
        ? {}
        : { source: { registry: pulledFrom.registry, repository: pulledFrom.repository, manifest: fetched.manifest, manifestBytes: fetched.bytes, configBytes: configBytes! } }),
      ...(tagEntry ? { tagEntry } : {}),
    };
  }

  /** Downloads and extracts a planned package if needed, then records its tag. */
  async install(planned: PlannedPackage): Promise<{ isNew: boolean; ms: number }> {
    const started = performance.now();
    let isNew = false;
    if (!planned.isInstalled && !this.options.objects.has(planned.digest)) {
      const source = planned.source!;
      const result = await this.options.objects.install({
        client: this.options.client,
        registry: source.registry,
        repository: source.repository,
        identifier: planned.identifier,
        digest: planned.digest,
        manifest: source.manifest,
        manifestBytes: source.manifestBytes,
        configBytes: source.configBytes,
        reporter: this.options.reporter,
        ...(this.options.maxPackageBytes === undefined ? {} : { maxPackageBytes: this.options.maxPackageBytes }),
      });
      isNew = result.isNew;
      if (isNew) log(this.options.reporter, "info", `installed ${formatReference(planned.reference)}`, { digest: planned.digest });
    }
    await this.recordTag(planned);
    return { isNew, ms: Math.round(performance.now() - started) };
  }

  /** Records in the local index the digest the registry returned for the tag. */
  async recordTag(planned: PlannedPackage): Promise<void> {
    const { reference, tagEntry } = planned;
    if (tagEntry === undefined || reference.tag === undefined) return;
    await this.options.index.record(reference.registry, reference.repository, reference.tag, tagEntry);
  }

  /** Tries each candidate (mirrors first, the origin last) until one responds. */
  private async fetchManifest(reference: Reference, platform: Platform) {
    const origin = formatReference(reference);
    const candidates = (await this.options.candidates?.(origin)) ?? [origin];
    let lastError: unknown;
    for (const [position, candidate] of candidates.entries()) {
      const pulledFrom = parseReference(candidate);
      try {
        return { pulledFrom, fetched: await this.options.client.resolveManifest(pulledFrom, platform) };
      } catch (error) {
        const isLast = position === candidates.length - 1;
        const canFallBack = isOcxError(error) && (error.code === OCI_UNREACHABLE || error.code === OCI_MANIFEST_NOT_FOUND || error.exitCode === 75);
        if (isLast || !canFallBack) throw error;
        log(this.options.reporter, "warn", `mirror "${candidate}" failed, trying the next source: ${(error as Error).message}`);
        lastError = error;
      }
    }
    throw lastError;
  }

  private tagEntry(fetched: { digest: string; mediaType: string; indexDigest?: string }): TagEntry {
    if (fetched.indexDigest === undefined) return { digest: fetched.digest, mediaType: fetched.mediaType };
    return {
      digest: fetched.indexDigest,
      mediaType: MediaType.imageIndex,
      platforms: { [this.platformKey()]: fetched.digest },
    };
  }

  private async localDigest(reference: Reference): Promise<string | undefined> {
    const { index, objects } = this.options;
    if (reference.digest !== undefined) {
      if (objects.has(reference.digest)) return reference.digest;
      // A pinned digest can name an image index; the index records its platform manifest.
      const all = await index.entries(reference.registry, reference.repository);
      for (const entry of Object.values(all)) {
        if (entry?.digest === reference.digest) return this.platformDigest(entry);
      }
      return undefined;
    }
    const state = await index.lookup(reference.registry, reference.repository, reference.tag!);
    return state.state === "present" ? this.platformDigest(state.entry) : undefined;
  }

  private platformDigest(entry: TagEntry): string | undefined {
    if (!isIndexMediaType(entry.mediaType)) return entry.digest;
    return entry.platforms?.[this.platformKey()];
  }

  /**
   * Links a root into installs/: by tag, or by digest for a pinned
   * reference. Installs are what `ocx clean` keeps; dependencies and
   * companions live through back-references instead.
   */
  async linkInstall(reference: Reference, digest: string): Promise<void> {
    const { layout } = this.options;
    const link = reference.tag !== undefined && reference.digest === undefined
      ? layout.installLink(reference.registry, reference.repository, reference.tag)
      : layout.digestInstallLink(reference.registry, reference.repository, digest);
    const target = layout.relativeTarget(link, layout.objectDir(digest));
    if ((await readlink(link).catch(() => undefined)) === target) return;
    try {
      await replaceSymlink(target, link);
    } catch (error) {
      throw storeIoError("linking", link, error);
    }
  }
}

function parseConfigJson(bytes: Uint8Array, identifier: string, manifest: ImageManifest): unknown {
  checkIsPackage(manifest, identifier);
  return parseConfigBytes(bytes, identifier);
}
