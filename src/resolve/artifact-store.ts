import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ExitCode, isOcxError } from "../error/index.ts";
import { OCI_MANIFEST_NOT_FOUND, OCI_UNREACHABLE } from "../oci/errors.ts";
import { sha256Digest } from "../oci/digest.ts";
import { formatReference, type Reference } from "../oci/reference.ts";
import type { RegistryClient } from "../oci/registry-client.ts";
import type { ArtifactState } from "../plugin/api.ts";
import { log, type Reporter } from "../report/reporter.ts";
import { replaceSymlink } from "../store/atomic.ts";
import type { StoreLayout } from "../store/layout.ts";
import type { LocalIndex } from "../store/local-index.ts";
import type { ObjectStore } from "../store/object-store.ts";

export interface ArtifactStoreOptions {
  client: RegistryClient;
  index: LocalIndex;
  objects: ObjectStore;
  layout: StoreLayout;
  isOffline: boolean;
  reporter: Reporter;
}

/** File name of the single layer inside an artifact object. */
export const ARTIFACT_LAYER_FILE = "layer";
const LAYER_FILE = ARTIFACT_LAYER_FILE;

/**
 * Single-layer artifacts (patch descriptors) read through the three-state
 * local index: never synced (fetch, or unavailable offline), synced absent
 * (a 404 was recorded), synced present (read from the store).
 */
export class ArtifactStore {
  // Registries that could not be reached in this command, with the reason:
  // asking again for every package would cost one timeout each.
  private readonly unreachable = new Map<string, string>();

  constructor(private readonly options: ArtifactStoreOptions) {}

  async read(reference: Reference, options: { layerMediaType: string; refresh?: boolean }): Promise<ArtifactState> {
    const { index, isOffline } = this.options;
    const name = formatReference(reference);
    if (reference.digest !== undefined) return this.readPinned(reference, options.layerMediaType);
    const tag = reference.tag!;
    if (!options.refresh || isOffline) {
      const state = await index.lookup(reference.registry, reference.repository, tag);
      if (state.state === "absent") return { state: "absent" };
      if (state.state === "present") {
        const bytes = await this.readStored(state.entry.digest);
        if (bytes !== undefined) return { state: "present", digest: state.entry.digest, bytes };
      }
      if (isOffline) return { state: "unavailable", reason: `"${name}" was never synced and ocx is offline` };
    }
    return this.fetchOrExplain(reference, options.layerMediaType);
  }

  /**
   * A digest-pinned artifact (from a patch snapshot): read from the store,
   * else fetched by digest. The tag index and the `patch` link are left
   * alone, since they record what the tag names, not what a snapshot pins;
   * a `pinned-sha256-HEX` link beside it keeps the object from collection.
   * NOTE: pinned links stay after the snapshot changes, until the patch
   * registry leaves the config.
   */
  private async readPinned(reference: Reference, layerMediaType: string): Promise<ArtifactState> {
    const digest = reference.digest!;
    const bytes = await this.readStored(digest);
    if (bytes !== undefined) {
      await this.linkPinned(reference, digest);
      return { state: "present", digest, bytes };
    }
    if (this.options.isOffline) {
      return { state: "unavailable", reason: `"${formatReference(reference)}" is not in the store and ocx is offline` };
    }
    return this.fetchOrExplain(reference, layerMediaType);
  }

  private async fetchOrExplain(reference: Reference, layerMediaType: string): Promise<ArtifactState> {
    const name = formatReference(reference);
    const known = this.unreachable.get(reference.registry);
    if (known !== undefined) return { state: "unavailable", reason: known };
    try {
      return await this.fetch(reference, layerMediaType);
    } catch (error) {
      const detail = isOcxError(error) ? error.message : String(error);
      const reason = `fetching "${name}" failed: ${detail}`;
      if (isOcxError(error) && (error.code === OCI_UNREACHABLE || error.exitCode === ExitCode.temporaryFailure)) {
        this.unreachable.set(reference.registry, reason);
      }
      return { state: "unavailable", reason };
    }
  }

  private async fetch(reference: Reference, layerMediaType: string): Promise<ArtifactState> {
    const { client, index, objects, layout, reporter } = this.options;
    const tag = reference.tag!;
    const isPinned = reference.digest !== undefined;
    let fetched;
    try {
      fetched = await client.getManifest(reference);
    } catch (error) {
      if (!isOcxError(error) || error.code !== OCI_MANIFEST_NOT_FOUND) throw error;
      if (isPinned) throw error;
      await index.record(reference.registry, reference.repository, tag, null);
      log(reporter, "debug", `no artifact at ${formatReference(reference)}`);
      return { state: "absent" };
    }
    if (!("layers" in fetched.manifest)) throw new Error("the tag names an image index, not an artifact manifest");
    const layer = fetched.manifest.layers.find((entry) => entry.mediaType === layerMediaType);
    if (layer === undefined) throw new Error(`the manifest has no layer of media type ${layerMediaType}`);
    const bytes = await client.fetchBlobBytes(reference.registry, reference.repository, layer);

    const objectDir = await objects.storeArtifact(fetched.digest, { "manifest.json": fetched.bytes, [LAYER_FILE]: bytes });
    if (isPinned) {
      await this.linkPinned(reference, fetched.digest);
      return { state: "present", digest: fetched.digest, bytes };
    }
    const link = layout.artifactLink(reference.registry, reference.repository);
    await replaceSymlink(layout.relativeTarget(link, objectDir), link);
    await index.record(reference.registry, reference.repository, tag, { digest: fetched.digest, mediaType: fetched.mediaType });
    log(reporter, "debug", `synced ${formatReference(reference)}`, { digest: fetched.digest });
    return { state: "present", digest: fetched.digest, bytes };
  }

  private async linkPinned(reference: Reference, digest: string): Promise<void> {
    const { layout } = this.options;
    const folder = dirname(layout.artifactLink(reference.registry, reference.repository));
    const link = join(folder, `pinned-${digest.replace(":", "-")}`);
    if (existsSync(link)) return;
    await replaceSymlink(layout.relativeTarget(link, layout.objectDir(digest)), link);
  }

  /** Reads the stored layer, if present and matching the digest its manifest records. */
  private async readStored(digest: string): Promise<Uint8Array | undefined> {
    const objectDir = this.options.layout.objectDir(digest);
    try {
      const manifest = JSON.parse(await readFile(join(objectDir, "manifest.json"), "utf8")) as { layers?: { digest?: string }[] };
      const bytes = await readFile(join(objectDir, LAYER_FILE));
      const actual = sha256Digest(bytes);
      if (!manifest.layers?.some((layer) => layer.digest === actual)) {
        log(this.options.reporter, "warn", `stored artifact ${digest} is damaged; fetching it again`);
        return undefined;
      }
      return bytes;
    } catch {
      return undefined;
    }
  }
}
