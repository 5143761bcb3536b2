import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MediaType } from "../oci/media-types.ts";
import { formatReference, type Reference } from "../oci/reference.ts";
import type { RegistryClient } from "../oci/registry-client.ts";
import type { Descriptor, ImageIndex, ImageManifest, Platform } from "../oci/types.ts";
import { buildLayer } from "../package/build-layer.ts";
import { parseMetadata } from "../package/metadata.ts";
import { log, type Reporter } from "../report/reporter.ts";

import { readJsonInput } from "./errors.ts";

export interface PushPackageOptions {
  dir: string;
  reference: Reference;
  /** Empty for a single manifest; otherwise one manifest per platform under an image index. */
  platforms: Platform[];
  reporter: Reporter;
}

export interface PushPackageResult {
  reference: string;
  digest: string;
  mediaType: string;
  manifests: { digest: string; platform?: Platform }[];
}

/**
 * Builds and pushes an OCX package from a folder holding metadata.json and
 * the files. With platforms, a folder `<os>-<arch>` inside `dir` is used for
 * that platform when present, else `dir` itself.
 */
export async function pushPackage(client: RegistryClient, options: PushPackageOptions): Promise<PushPackageResult> {
  const { reference, reporter } = options;
  if (options.platforms.length === 0) {
    const pushed = await pushManifestFor(client, options.dir, reference);
    const digest = await client.pushManifest(reference, pushed.bytes, MediaType.imageManifest);
    log(reporter, "info", `pushed ${formatReference(reference)}`, { digest });
    return { reference: formatReference(reference), digest, mediaType: MediaType.imageManifest, manifests: [{ digest }] };
  }

  const entries: Descriptor[] = [];
  for (const platform of options.platforms) {
    const platformDir = await platformFolder(options.dir, platform);
    const pushed = await pushManifestFor(client, platformDir, reference);
    const byDigest = { ...reference, tag: undefined, digest: pushed.descriptor.digest };
    await client.pushManifest(byDigest, pushed.bytes, MediaType.imageManifest);
    entries.push({ ...pushed.descriptor, platform });
  }
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: MediaType.imageIndex,
    artifactType: MediaType.ocxPackage,
    manifests: entries,
  };
  const bytes = new TextEncoder().encode(JSON.stringify(index));
  const digest = await client.pushManifest(reference, bytes, MediaType.imageIndex);
  log(reporter, "info", `pushed ${formatReference(reference)} as an image index of ${options.platforms.length} platform manifest(s)`, { digest });
  return {
    reference: formatReference(reference),
    digest,
    mediaType: MediaType.imageIndex,
    manifests: entries.map((entry) => ({ digest: entry.digest, ...(entry.platform ? { platform: entry.platform } : {}) })),
  };
}

async function pushManifestFor(client: RegistryClient, dir: string, reference: Reference) {
  const metadataBytes = await readMetadata(dir);
  const scratch = await mkdtemp(join(tmpdir(), "ocx-push-"));
  try {
    const layerFile = join(scratch, "layer.tar.gz");
    const layer = await buildLayer(dir, layerFile, { exclude: ["metadata.json"] });
    const { registry, repository } = reference;
    const layerDescriptor = await client.pushBlob(registry, repository, { path: layerFile, ...layer }, MediaType.layerTarGzip);
    const configDescriptor = await client.pushBlob(registry, repository, metadataBytes, MediaType.ocxPackageConfig);
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MediaType.imageManifest,
      artifactType: MediaType.ocxPackage,
      config: { mediaType: MediaType.ocxPackageConfig, digest: configDescriptor.digest, size: configDescriptor.size },
      layers: [{ mediaType: MediaType.layerTarGzip, digest: layerDescriptor.digest, size: layerDescriptor.size }],
    };
    const bytes = new TextEncoder().encode(JSON.stringify(manifest));
    const digest = `sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}`;
    return { bytes, descriptor: { mediaType: MediaType.imageManifest, digest, size: bytes.byteLength } };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function readMetadata(dir: string): Promise<Uint8Array> {
  const file = join(dir, "metadata.json");
  const { bytes, json } = await readJsonInput(file, {
    what: "package metadata",
    missingHint: "the package folder must contain metadata.json next to the files",
  });
  parseMetadata(json, { source: file });
  return bytes;
}

async function platformFolder(dir: string, platform: Platform): Promise<string> {
  const candidate = join(dir, `${platform.os}-${platform.architecture}`);
  try {
    if ((await stat(join(candidate, "metadata.json"))).isFile()) return candidate;
  } catch {
    // No platform folder: the same files serve every platform.
  }
  return dir;
}
