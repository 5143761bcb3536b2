import { emptyConfig, MediaType } from "../oci/media-types.ts";
import { formatReference, type Reference } from "../oci/reference.ts";
import type { RegistryClient } from "../oci/registry-client.ts";
import type { ImageManifest } from "../oci/types.ts";
import { parsePatchDescriptor } from "../patch/descriptor.ts";
import { PATCH_TAG } from "../patch/patch-repository.ts";
import { readJsonInput } from "./errors.ts";

/**
 * Validates a patch descriptor file and pushes it as the `__ocx.patch` tag of
 * `repository`: empty config, one descriptor layer.
 */
export async function publishPatch(
  client: RegistryClient,
  options: { file: string; repository: Reference },
): Promise<{ reference: string; digest: string }> {
  const bytes = await readDescriptorFile(options.file);
  const { registry, repository } = options.repository;
  await client.pushBlob(registry, repository, emptyConfig.bytes, MediaType.empty);
  const layer = await client.pushBlob(registry, repository, bytes, MediaType.ocxPatchDescriptor);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.imageManifest,
    artifactType: MediaType.ocxPatch,
    config: { mediaType: MediaType.empty, digest: emptyConfig.digest, size: emptyConfig.size },
    layers: [{ mediaType: MediaType.ocxPatchDescriptor, digest: layer.digest, size: layer.size }],
  };
  const target: Reference = { registry, repository, tag: PATCH_TAG, digest: undefined };
  const digest = await client.pushManifest(target, new TextEncoder().encode(JSON.stringify(manifest)), MediaType.imageManifest);
  return { reference: formatReference(target), digest };
}

async function readDescriptorFile(file: string): Promise<Uint8Array> {
  const { bytes, json } = await readJsonInput(file, {
    what: "patch descriptor",
    missingHint: "pass the path of a descriptor JSON file",
  });
  parsePatchDescriptor(json, { source: file });
  return bytes;
}
