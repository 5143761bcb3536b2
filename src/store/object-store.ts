import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ExitCode, OcxError } from "../error/index.ts";
import { MediaType } from "../oci/media-types.ts";
import type { ImageManifest } from "../oci/types.ts";
import type { RegistryClient } from "../oci/registry-client.ts";
import { mapBounded } from "../oci/limiter.ts";
import { parseMetadata, type PackageMetadata } from "../package/metadata.ts";
import { log, type Reporter } from "../report/reporter.ts";
import { isErrnoCode, STORE_CORRUPT, STORE_NOT_A_PACKAGE, storeIoError } from "./errors.ts";
import type { StoreLayout } from "./layout.ts";
import { acquireLock } from "./lock.ts";
import { sweepTemporaries } from "./sweep.ts";

/** Written at install: the digest of content/, which `ocx verify` recomputes. */
export const CONTENT_DIGEST_FILE = "content.sha256";

export interface InstalledObject {
  digest: string;
  objectDir: string;
  contentDir: string;
  metadata: PackageMetadata;
}

/**
 * Where blobs come from: a registry, or an OCI image layout (a bundle). A
 * reader with `downloadBlob` (the registry client) gets its layers
 * downloaded to files first, so a broken body is fetched again before
 * extraction. A local layout is extracted straight from its stream.
 */
export type BlobReader = Pick<RegistryClient, "fetchBlob" | "fetchBlobBytes"> &
  Partial<Pick<RegistryClient, "downloadBlob">>;

export interface InstallObjectOptions {
  client: BlobReader;
  registry: string;
  repository: string;
  /** Used in messages and as the metadata error source. */
  identifier: string;
  digest: string;
  manifest: ImageManifest;
  manifestBytes: Uint8Array;
  /** The config blob (metadata.json), already fetched and verified while planning. */
  configBytes: Uint8Array;
  maxPackageBytes?: number;
  reporter: Reporter;
}

/**
 * Objects: one folder per platform manifest digest, holding manifest.json,
 * metadata.json, content/ and refs/. A folder is built under tmp/ and renamed
 * into place whole, so a visible object is always complete.
 */
export class ObjectStore {
  constructor(private readonly layout: StoreLayout) {}

  has(digest: string): boolean {
    return existsSync(join(this.layout.objectDir(digest), "metadata.json"));
  }

  async read(digest: string, identifier: string): Promise<InstalledObject> {
    const objectDir = this.layout.objectDir(digest);
    let text: string;
    try {
      text = await readFile(join(objectDir, "metadata.json"), "utf8");
    } catch (error) {
      if (!isErrnoCode(error, "ENOENT")) throw storeIoError("reading", objectDir, error);
      throw new OcxError(STORE_CORRUPT, `object ${digest} for "${identifier}" is missing its metadata.json`, {
        hint: "remove the object folder and install again",
        exitCode: ExitCode.dataError,
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new OcxError(STORE_CORRUPT, `object ${digest} for "${identifier}" has a corrupt metadata.json`, {
        hint: `remove "${objectDir}" and install again`,
        exitCode: ExitCode.dataError,
      });
    }
    const metadata = parseMetadata(json, { source: identifier });
    return { digest, objectDir, contentDir: join(objectDir, "content"), metadata };
  }

  /** Downloads, verifies and extracts a package unless its object already exists. */
  async install(options: InstallObjectOptions): Promise<InstalledObject & { isNew: boolean }> {
    if (this.has(options.digest)) {
      return { ...(await this.read(options.digest, options.identifier)), isNew: false };
    }
    checkIsPackage(options.manifest, options.identifier);
    // One process downloads; the others wait here and then find the object.
    const lock = await acquireLock(this.layout.objectLock(options.digest), {
      onWait: (owner) => log(options.reporter, "info", `waiting for process ${owner} to finish installing ${options.identifier}`),
    });
    try {
      if (this.has(options.digest)) {
        return { ...(await this.read(options.digest, options.identifier)), isNew: false };
      }
      await sweepTemporaries(this.layout);
      return await this.installLocked(options);
    } finally {
      await lock.release();
    }
  }

  private async installLocked(options: InstallObjectOptions): Promise<InstalledObject & { isNew: boolean }> {
    const temporary = await this.makeTemporary("install");
    try {
      const metadata = await this.fill(temporary, options);
      const objectDir = this.layout.objectDir(options.digest);
      const isNew = await commitFolder(temporary, objectDir);
      return { digest: options.digest, objectDir, contentDir: join(objectDir, "content"), metadata, isNew };
    } catch (error) {
      await rm(temporary, { recursive: true, force: true });
      if (error instanceof OcxError) throw error;
      if ((error as NodeJS.ErrnoException)?.code) throw storeIoError("installing into", temporary, error);
      throw error;
    }
  }

  /** Stores a small JSON artifact (a patch descriptor) as an object with the given files. */
  async storeArtifact(digest: string, files: Record<string, string | Uint8Array>): Promise<string> {
    const objectDir = this.layout.objectDir(digest);
    if (await hasFiles(objectDir, files)) return objectDir;
    const temporary = await this.makeTemporary("artifact");
    try {
      for (const [name, data] of Object.entries(files)) await writeFile(join(temporary, name), data);
      if (!(await commitFolder(temporary, objectDir))) await replaceFolder(objectDir, await this.makeTemporary("artifact"), files);
      return objectDir;
    } catch (error) {
      await rm(temporary, { recursive: true, force: true });
      throw storeIoError("storing", objectDir, error);
    }
  }

  private async fill(temporary: string, options: InstallObjectOptions): Promise<PackageMetadata> {
    const { client, registry, repository, manifest, configBytes } = options;
    const metadata = parseMetadata(parseConfigBytes(configBytes, options.identifier), { source: options.identifier });

    await writeFile(join(temporary, "manifest.json"), options.manifestBytes);
    await writeFile(join(temporary, "metadata.json"), configBytes);
    await mkdir(join(temporary, "refs"));
    const contentDir = join(temporary, "content");
    await mkdir(contentDir);

    // Layers download in parallel (the client bounds how many at once) to
    // files beside the object, then extract in manifest order, since a
    // later layer may overwrite an earlier one's files.
    const blobPaths = manifest.layers.map((_layer, index) => join(temporary, `layer-${index}.blob`));
    const { downloadBlob } = client;
    if (downloadBlob) {
      const started = performance.now();
      const size = manifest.layers.reduce((sum, layer) => sum + layer.size, 0);
      options.reporter.emit({ kind: "package-start", package: options.identifier, size });
      await mapBounded([...manifest.layers.keys()], manifest.layers.length || 1, (index) =>
        downloadBlob.call(client, registry, repository, manifest.layers[index]!, {
          path: blobPaths[index]!,
          package: options.identifier,
        }),
      );
      options.reporter.emit({ kind: "package-end", package: options.identifier, size, ms: performance.now() - started });
    }

    // Loaded on demand: zlib and tar-stream cost start-up time that env and exec never need.
    const { extractLayer } = await import("../package/extract.ts");
    let remaining = options.maxPackageBytes;
    for (const [index, layer] of manifest.layers.entries()) {
      log(options.reporter, "debug", `extracting layer ${layer.digest}`, { reference: options.identifier });
      const stream = downloadBlob
        ? Bun.file(blobPaths[index]!).stream()
        : await client.fetchBlob(registry, repository, layer);
      const result = await extractLayer(stream, {
        mediaType: layer.mediaType,
        targetDir: contentDir,
        stripComponents: metadata.strip_components,
        ...(remaining === undefined ? {} : { maxBytes: remaining }),
      });
      await rm(blobPaths[index]!, { force: true });
      if (remaining !== undefined) remaining -= result.bytes;
    }
    const { contentDigest } = await import("./content-digest.ts");
    await writeFile(join(temporary, CONTENT_DIGEST_FILE), `${await contentDigest(contentDir)}\n`);
    return metadata;
  }

  private async makeTemporary(kind: string): Promise<string> {
    const root = this.layout.tempRoot();
    try {
      await mkdir(root, { recursive: true });
      return await mkdtemp(join(root, `${kind}-${process.pid}-`));
    } catch (error) {
      throw storeIoError("creating a temporary folder in", root, error);
    }
  }
}

/** Parses a package config blob as JSON; its schema is checked by parseMetadata. */
export function parseConfigBytes(bytes: Uint8Array, identifier: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new OcxError(STORE_NOT_A_PACKAGE, `invalid metadata.json in "${identifier}": not JSON`, {
      hint: "the package config blob must be the package's metadata.json",
      cause: error,
      exitCode: ExitCode.dataError,
    });
  }
}

export function checkIsPackage(manifest: ImageManifest, identifier: string): void {
  const isPackage =
    manifest.config?.mediaType === MediaType.ocxPackageConfig ||
    manifest.artifactType === MediaType.ocxPackage;
  if (!isPackage) {
    throw new OcxError(
      STORE_NOT_A_PACKAGE,
      `"${identifier}" is not an ocx package: config media type is "${manifest.config?.mediaType}"`,
      {
        hint: `ocx installs manifests whose config is ${MediaType.ocxPackageConfig}; publish with \`ocx package push\``,
        exitCode: ExitCode.dataError,
      },
    );
  }
}

/** Renames a finished folder into place; another process finishing first is not an error. */
async function commitFolder(temporary: string, destination: string): Promise<boolean> {
  await mkdir(join(destination, ".."), { recursive: true });
  try {
    await rename(temporary, destination);
    return true;
  } catch (error) {
    if (!isErrnoCode(error, "ENOTEMPTY", "EEXIST")) throw error;
    await rm(temporary, { recursive: true, force: true });
    return false;
  }
}
/** True when `dir` contains exactly these files with these contents. */
async function hasFiles(dir: string, files: Record<string, string | Uint8Array>): Promise<boolean> {
  for (const [name, data] of Object.entries(files)) {
    let stored: Uint8Array;
    try {
      stored = await readFile(join(dir, name));
    } catch {
      return false;
    }
    const expected = typeof data === "string" ? new TextEncoder().encode(data) : data;
    if (Buffer.compare(stored, expected) !== 0) return false;
  }
  return true;
}

/**
 * Replaces a damaged artifact folder: the old one is moved aside first, so
 * readers see the old or the new folder, or briefly none (read as never
 * synced), never a mix.
 */
async function replaceFolder(destination: string, scratch: string, files: Record<string, string | Uint8Array>): Promise<void> {
  const fresh = join(scratch, "fresh");
  await mkdir(fresh);
  for (const [name, data] of Object.entries(files)) await writeFile(join(fresh, name), data);
  await rename(destination, join(scratch, "old"));
  await rename(fresh, destination);
  await rm(scratch, { recursive: true, force: true });
}
