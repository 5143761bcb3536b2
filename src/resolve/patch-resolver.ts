import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { PatchSourceConfig } from "../config/load-config.ts";
import { ExitCode, OcxError, isOcxError } from "../error/index.ts";
import { OCI_MANIFEST_NOT_FOUND } from "../oci/errors.ts";
import { MediaType } from "../oci/media-types.ts";
import { formatReference, type Reference } from "../oci/reference.ts";
import type { RegistryClient } from "../oci/registry-client.ts";
import { companionsFor, type Companion } from "../patch/companions.ts";
import { parsePatchDescriptor, type PatchDescriptor } from "../patch/descriptor.ts";
import { globalPatchRepository, patchRepositoryFor } from "../patch/patch-repository.ts";
import { log, type Reporter } from "../report/reporter.ts";
import { replaceSymlink } from "../store/atomic.ts";
import type { StoreLayout } from "../store/layout.ts";
import type { LocalIndex } from "../store/local-index.ts";
import type { ObjectStore } from "../store/object-store.ts";

export const PATCH_TAG = "__ocx.patch";
export const PATCH_UNAVAILABLE = "PATCH_UNAVAILABLE";

export interface PatchResolverOptions {
  sources: PatchSourceConfig[];
  client: RegistryClient;
  index: LocalIndex;
  objects: ObjectStore;
  layout: StoreLayout;
  isOffline: boolean;
  reporter: Reporter;
}

interface Located {
  source: PatchSourceConfig;
  registry: string;
  repository: string;
}

/**
 * Reads patch descriptors through the three-state patch index: never synced
 * (fetch, or fail offline), synced without a patch (skip), synced with a
 * patch (read the stored descriptor).
 */
export class PatchResolver {
  private readonly cache = new Map<string, PatchDescriptor | undefined>();

  constructor(private readonly options: PatchResolverOptions) {}

  /** Companions for one base package, from every patch source, global descriptor first. */
  async companionsFor(reference: Reference, options: { refresh?: boolean } = {}): Promise<Companion[]> {
    const descriptors: { source: string; descriptor: PatchDescriptor }[] = [];
    for (const located of this.locate(reference)) {
      const descriptor = await this.descriptorAt(located, options.refresh ?? false);
      if (descriptor === undefined) continue;
      const name = `${located.registry}/${located.repository}`;
      // A source that is not required downgrades every rule it holds to optional.
      const rules = located.source.required
        ? descriptor.rules
        : descriptor.rules.map((rule) => ({ ...rule, required: false }));
      descriptors.push({ source: name, descriptor: { ...descriptor, rules } });
    }
    return companionsFor(descriptors, reference);
  }

  private locate(reference: Reference): Located[] {
    const located: Located[] = [];
    for (const source of this.options.sources) {
      for (const place of [globalPatchRepository(source), patchRepositoryFor(source, reference)]) {
        located.push({ source, ...place });
      }
    }
    return located;
  }

  private async descriptorAt(located: Located, refresh: boolean): Promise<PatchDescriptor | undefined> {
    const key = `${located.registry}/${located.repository}`;
    if (!refresh && this.cache.has(key)) return this.cache.get(key);
    const descriptor = await this.loadDescriptor(located, refresh);
    this.cache.set(key, descriptor);
    return descriptor;
  }

  private async loadDescriptor(located: Located, refresh: boolean): Promise<PatchDescriptor | undefined> {
    const { index, isOffline } = this.options;
    const place = `${located.registry}/${located.repository}`;
    if (!refresh || isOffline) {
      const state = await index.lookup(located.registry, located.repository, PATCH_TAG);
      if (state.state === "absent") return undefined;
      if (state.state === "present") {
        const stored = await this.readStored(state.entry.digest, place);
        if (stored !== undefined) return stored;
      }
      if (isOffline) {
        return this.unavailable(located, `the patch index for "${place}" was never synced and ocx is offline`);
      }
    }
    try {
      return await this.fetchDescriptor(located);
    } catch (error) {
      if (isOcxError(error) && error.code.startsWith("PATCH_DESCRIPTOR")) throw error;
      const detail = isOcxError(error) ? error.message : String(error);
      return this.unavailable(located, `fetching the patch descriptor "${place}:${PATCH_TAG}" failed: ${detail}`);
    }
  }

  private async fetchDescriptor(located: Located): Promise<PatchDescriptor | undefined> {
    const { client, index, objects, layout, reporter } = this.options;
    const reference: Reference = { registry: located.registry, repository: located.repository, tag: PATCH_TAG, digest: undefined };
    let fetched;
    try {
      fetched = await client.getManifest(reference);
    } catch (error) {
      if (!isOcxError(error) || error.code !== OCI_MANIFEST_NOT_FOUND) throw error;
      await index.record(located.registry, located.repository, PATCH_TAG, null);
      log(reporter, "debug", `no patch at ${formatReference(reference)}`);
      return undefined;
    }
    if (!("layers" in fetched.manifest)) throw new Error("a patch descriptor tag names an image index");
    const layer = fetched.manifest.layers.find((entry) => entry.mediaType === MediaType.ocxPatchDescriptor);
    if (layer === undefined) throw new Error(`no layer of media type ${MediaType.ocxPatchDescriptor}`);
    const bytes = await client.fetchBlobBytes(located.registry, located.repository, layer);
    const source = formatReference(reference);
    const descriptor = parsePatchDescriptor(JSON.parse(new TextDecoder().decode(bytes)), { source });

    const objectDir = await objects.storeArtifact(fetched.digest, { "manifest.json": fetched.bytes, "descriptor.json": bytes });
    const link = layout.artifactLink(located.registry, located.repository);
    await replaceSymlink(layout.relativeTarget(link, objectDir), link);
    await index.record(located.registry, located.repository, PATCH_TAG, { digest: fetched.digest, mediaType: fetched.mediaType });
    log(reporter, "debug", `synced patch ${source}`, { digest: fetched.digest });
    return descriptor;
  }

  private async readStored(digest: string, place: string): Promise<PatchDescriptor | undefined> {
    let text: string;
    try {
      text = await readFile(join(this.options.layout.objectDir(digest), "descriptor.json"), "utf8");
    } catch {
      return undefined;
    }
    return parsePatchDescriptor(JSON.parse(text), { source: `${place}:${PATCH_TAG}` });
  }

  /** Fails closed for a required source; warns and skips for an optional one. */
  private unavailable(located: Located, detail: string): undefined {
    if (located.source.required) {
      throw new OcxError(PATCH_UNAVAILABLE, `cannot apply required patches from "${located.source.registry}": ${detail}`, {
        hint: "connect to the patch registry and run `ocx index update`, or ask your operator; required patches fail closed",
        exitCode: ExitCode.unavailable,
      });
    }
    log(this.options.reporter, "warn", `skipping optional patches: ${detail}`);
    return undefined;
  }
}
