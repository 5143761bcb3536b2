import { readlink } from "node:fs/promises";
import { ExitCode, OcxError } from "../error/index.ts";
import { isIndexMediaType } from "../oci/media-types.ts";
import { formatReference, identifierOf, type Reference } from "../oci/reference.ts";
import type { RegistryClient } from "../oci/registry-client.ts";
import type { Platform } from "../oci/types.ts";
import { log, type Reporter } from "../report/reporter.ts";
import { replaceSymlink } from "../store/atomic.ts";
import { notAvailableOffline, storeIoError } from "../store/errors.ts";
import type { StoreLayout } from "../store/layout.ts";
import type { LocalIndex, TagEntry } from "../store/local-index.ts";
import type { InstalledObject, ObjectStore } from "../store/object-store.ts";

export interface ResolvedPackage {
  reference: Reference;
  identifier: string;
  /** The platform manifest digest; also the object's name in the store. */
  digest: string;
  object: InstalledObject;
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
}

export const RESOLVE_NOT_INSTALLED = "RESOLVE_NOT_INSTALLED";

/**
 * Turns references into installed packages. Reads the local index first, so
 * an installed, synced tag needs no network; goes to the registry only for
 * what is missing, or for every tag when `refresh` is set (install, index update).
 */
export class PackageResolver {
  constructor(private readonly options: PackageResolverOptions) {}

  platformKey(): string {
    const { os, architecture, variant } = this.options.platform;
    return variant ? `${os}/${architecture}/${variant}` : `${os}/${architecture}`;
  }

  async resolve(reference: Reference, options: { refresh?: boolean } = {}): Promise<ResolvedPackage> {
    const identifier = identifierOf(reference);
    const useLocal = !options.refresh || this.options.isOffline;
    if (useLocal) {
      const local = await this.resolveLocally(reference);
      if (local !== undefined) return local;
      if (this.options.isOffline) throw notAvailableOffline(identifier, "it is not installed and synced on this host");
    }
    return this.resolveRemotely(reference);
  }

  /** The installed package for a reference, from the local index alone, or undefined. */
  async resolveLocally(reference: Reference): Promise<ResolvedPackage | undefined> {
    const digest = await this.localDigest(reference);
    if (digest === undefined || !this.options.objects.has(digest)) return undefined;
    const identifier = identifierOf(reference);
    const object = await this.options.objects.read(digest, identifier);
    return { reference, identifier, digest, object };
  }

  /** Asks the registry what the tag names now, records it, and installs what is missing. */
  async resolveRemotely(reference: Reference): Promise<ResolvedPackage> {
    const { client, objects, platform, reporter } = this.options;
    const identifier = identifierOf(reference);
    const fetched = await client.resolveManifest(reference, platform);
    if (reference.digest === undefined && reference.tag !== undefined) {
      await this.options.index.record(reference.registry, reference.repository, reference.tag, this.tagEntry(fetched));
    }
    const object = await objects.install({
      client,
      registry: reference.registry,
      repository: reference.repository,
      identifier,
      digest: fetched.digest,
      manifest: fetched.manifest,
      manifestBytes: fetched.bytes,
      reporter,
      ...(this.options.maxPackageBytes === undefined ? {} : { maxPackageBytes: this.options.maxPackageBytes }),
    });
    if (object.isNew) log(reporter, "info", `installed ${formatReference(reference)}`, { digest: fetched.digest });
    await this.relinkIfInstalled(reference, fetched.digest);
    return { reference, identifier, digest: fetched.digest, object };
  }

  private tagEntry(fetched: { digest: string; mediaType: string; indexDigest?: string }): TagEntry {
    if (fetched.indexDigest === undefined) return { digest: fetched.digest, mediaType: fetched.mediaType };
    return {
      digest: fetched.indexDigest,
      mediaType: "application/vnd.oci.image.index.v1+json",
      platforms: { [this.platformKey()]: fetched.digest },
    };
  }

  private async localDigest(reference: Reference): Promise<string | undefined> {
    const { index, objects } = this.options;
    const entries = reference.digest === undefined || reference.tag !== undefined
      ? undefined
      : await index.entries(reference.registry, reference.repository);
    if (reference.digest !== undefined) {
      if (objects.has(reference.digest)) return reference.digest;
      // A pinned digest can name an image index; the index records its platform manifest.
      const all = entries ?? (await index.entries(reference.registry, reference.repository));
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

  /** Moves an installed tag's link when a sync finds the tag moved. */
  private async relinkIfInstalled(reference: Reference, digest: string): Promise<void> {
    if (reference.tag === undefined || reference.digest !== undefined) return;
    const link = this.options.layout.installLink(reference.registry, reference.repository, reference.tag);
    if ((await readlink(link).catch(() => undefined)) !== undefined) await this.linkInstall(reference, digest);
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

export function notInstalled(identifier: string): OcxError {
  return new OcxError(RESOLVE_NOT_INSTALLED, `"${identifier}" is not installed`, {
    hint: `run \`ocx install ${identifier}\``,
    exitCode: ExitCode.unavailable,
  });
}
