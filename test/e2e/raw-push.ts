import { MediaType } from "../../src/oci/media-types.ts";
import { parseReference } from "../../src/oci/reference.ts";
import { RegistryClient } from "../../src/oci/registry-client.ts";

/**
 * Pushes a package whose layer bytes the test crafted (unsafe paths, links),
 * bypassing `ocx package push`, which would never build such a layer.
 */
export async function pushRawPackage(
  reference: string,
  options: { metadata: Record<string, unknown>; layer: Uint8Array; layerMediaType?: string },
): Promise<{ manifestDigest: string; layerDigest: string }> {
  const client = new RegistryClient({ isInsecure: () => true });
  const target = parseReference(reference);
  const metadataBytes = new TextEncoder().encode(JSON.stringify(options.metadata));
  const config = await client.pushBlob(target.registry, target.repository, metadataBytes, MediaType.ocxPackageConfig);
  const layerMediaType = options.layerMediaType ?? MediaType.layerTarGzip;
  const layer = await client.pushBlob(target.registry, target.repository, options.layer, layerMediaType);
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.imageManifest,
    artifactType: MediaType.ocxPackage,
    config: { mediaType: MediaType.ocxPackageConfig, digest: config.digest, size: config.size },
    layers: [{ mediaType: layerMediaType, digest: layer.digest, size: layer.size }],
  };
  const manifestDigest = await client.pushManifest(target, new TextEncoder().encode(JSON.stringify(manifest)), MediaType.imageManifest);
  return { manifestDigest, layerDigest: layer.digest };
}
