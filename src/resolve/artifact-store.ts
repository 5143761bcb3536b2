import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { isOcxError } from "../error/index.ts";
import { OCI_MANIFEST_NOT_FOUND } from "../oci/errors.ts";
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
const LAYER_FILE = "layer";

/**
 * Single-layer artifacts (patch descriptors) read through the three-state
 * local index: never synced (fetch, or unavailable offline), synced absent
 * (a 404 was recorded), synced present (read from the store).
 */
export class ArtifactStore {
  constructor(private readonly options: ArtifactStoreOptions) {}

  async read(reference: Reference, options: { layerMediaType: string; refresh?: boolean }): Promise<ArtifactState> {
    const { index, isOffline } = this.options;
    const tag = reference.tag!;
    const name = formatReference(reference);
    if (!options.refresh || isOffline) {
      const state = await index.lookup(reference.registry, reference.repository, tag);
      if (state.state === "absent") return { state: "absent" };
      if (state.state === "present") {
        const bytes = await this.readStored(state.entry.digest);
        if (bytes !== undefined) return { state: "present", digest: state.entry.digest, bytes };
      }
      if (isOffline) return { state: "unavailable", reason: `"${name}" was never synced and ocx is offline` };
    }
    try {
      return await this.fetch(reference, options.layerMediaType);
    } catch (error) {
      const detail = isOcxError(error) ? error.message : String(error);
      return { state: "unavailable", reason: `fetching "${name}" failed: ${detail}` };
    }
  }

  private async fetch(reference: Reference, layerMediaType: string): Promise<ArtifactState> {
    const { client, index, objects, layout, reporter } = this.options;
    const tag = reference.tag!;
    let fetched;
    try {
      fetched = await client.getManifest(reference);
    } catch (error) {
      if (!isOcxError(error) || error.code !== OCI_MANIFEST_NOT_FOUND) throw error;
      await index.record(reference.registry, reference.repository, tag, null);
      log(reporter, "debug", `no artifact at ${formatReference(reference)}`);
      return { state: "absent" };
    }
    if (!("layers" in fetched.manifest)) throw new Error("the tag names an image index, not an artifact manifest");
    const layer = fetched.manifest.layers.find((entry) => entry.mediaType === layerMediaType);
    if (layer === undefined) throw new Error(`the manifest has no layer of media type ${layerMediaType}`);
    const bytes = await client.fetchBlobBytes(reference.registry, reference.repository, layer);

    const objectDir = await objects.storeArtifact(fetched.digest, { "manifest.json": fetched.bytes, [LAYER_FILE]: bytes });
    const link = layout.artifactLink(reference.registry, reference.repository);
    await replaceSymlink(layout.relativeTarget(link, objectDir), link);
    await index.record(reference.registry, reference.repository, tag, { digest: fetched.digest, mediaType: fetched.mediaType });
    log(reporter, "debug", `synced ${formatReference(reference)}`, { digest: fetched.digest });
    return { state: "present", digest: fetched.digest, bytes };
  }

  private async readStored(digest: string): Promise<Uint8Array | undefined> {
    try {
      return await readFile(join(this.options.layout.objectDir(digest), LAYER_FILE));
    } catch {
      return undefined;
    }
  }
}
