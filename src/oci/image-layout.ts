import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { sha256Digest, verifyBlobStream } from "./digest.ts";
import type { Descriptor } from "./types.ts";

/** The annotation OCI image layouts use to name a manifest, e.g. a tag. */
export const REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";
export const LAYOUT_VERSION = "1.0.0";

export interface LayoutIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/**
 * Writes an OCI image layout (image-spec image-layout.md): `oci-layout`,
 * `index.json` and content-addressed `blobs/sha256/<hex>`. Blobs are
 * written to a temporary name and renamed once verified.
 */
export class LayoutWriter {
  private readonly entries: Descriptor[] = [];
  private readonly annotations: Record<string, string> = {};
  /** Bytes of blob files written, for reports. */
  bytes = 0;

  constructor(readonly dir: string) {}

  has(digest: string): boolean {
    return existsSync(this.blobPath(digest));
  }

  async putBytes(bytes: Uint8Array, expected?: string): Promise<string> {
    const digest = sha256Digest(bytes);
    if (expected !== undefined && digest !== expected) throw new Error(`blob ${expected} has digest ${digest}`);
    if (this.has(digest)) return digest;
    await this.writeBlob(digest, bytes);
    return digest;
  }

  /** Streams a blob into the layout; `stream` must verify itself (see verifyBlobStream). */
  async putStream(stream: ReadableStream<Uint8Array>, descriptor: Descriptor): Promise<void> {
    if (this.has(descriptor.digest)) {
      await stream.cancel();
      return;
    }
    await this.writeBlob(descriptor.digest, new Response(stream));
  }

  addEntry(descriptor: Descriptor): void {
    const name = descriptor.annotations?.[REF_NAME_ANNOTATION];
    const existing = this.entries.findIndex((entry) => entry.annotations?.[REF_NAME_ANNOTATION] === name);
    if (name !== undefined && existing !== -1) this.entries.splice(existing, 1);
    this.entries.push(descriptor);
  }

  annotate(key: string, value: string): void {
    this.annotations[key] = value;
  }

  async finish(): Promise<void> {
    await writeFile(join(this.dir, "oci-layout"), `${JSON.stringify({ imageLayoutVersion: LAYOUT_VERSION })}\n`);
    const index: LayoutIndex = {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: this.entries,
      ...(Object.keys(this.annotations).length > 0 ? { annotations: this.annotations } : {}),
    };
    await writeFile(join(this.dir, "index.json"), `${JSON.stringify(index, null, 2)}\n`);
  }

  private blobPath(digest: string): string {
    return join(this.dir, "blobs", ...digest.split(":"));
  }

  private async writeBlob(digest: string, data: Uint8Array | Response): Promise<void> {
    const path = this.blobPath(digest);
    await mkdir(join(path, ".."), { recursive: true });
    const temporary = `${path}.partial`;
    try {
      this.bytes += data instanceof Response ? await Bun.write(temporary, data) : await Bun.write(temporary, data);
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }
}

/** Reads an OCI image layout; blobs come back verified against their descriptor. */
export class LayoutReader {
  // Blobs hashed by checkBlob; streaming them again need not hash twice.
  private readonly checked = new Set<string>();

  constructor(readonly dir: string) {}

  async readIndex(): Promise<LayoutIndex> {
    const layout = JSON.parse(await readFile(join(this.dir, "oci-layout"), "utf8")) as { imageLayoutVersion?: string };
    if (layout.imageLayoutVersion !== LAYOUT_VERSION) {
      throw new Error(`unsupported imageLayoutVersion "${layout.imageLayoutVersion}"`);
    }
    const index = JSON.parse(await readFile(join(this.dir, "index.json"), "utf8")) as LayoutIndex;
    if (!Array.isArray(index.manifests)) throw new Error("index.json has no manifests array");
    return index;
  }

  has(digest: string): boolean {
    return existsSync(this.blobPath(digest));
  }

  /** Lists the digest of every blob file, as its path names it. */
  async listBlobs(): Promise<string[]> {
    const root = join(this.dir, "blobs", "sha256");
    const names = await readdir(root).catch(() => [] as string[]);
    return names.filter((name) => /^[a-f0-9]{64}$/.test(name)).map((hex) => `sha256:${hex}`);
  }

  /** Hashes a blob file and compares with the digest its name claims. */
  async checkBlob(digest: string): Promise<boolean> {
    const hasher = new Bun.CryptoHasher("sha256");
    for await (const chunk of Bun.file(this.blobPath(digest)).stream()) hasher.update(chunk);
    const isMatch = `sha256:${hasher.digest("hex")}` === digest;
    if (isMatch) this.checked.add(digest);
    return isMatch;
  }

  async readBytes(descriptor: Pick<Descriptor, "digest" | "size">): Promise<Uint8Array> {
    const bytes = new Uint8Array(await readFile(this.blobPath(descriptor.digest)));
    if (sha256Digest(bytes) !== descriptor.digest) throw new Error(`blob ${descriptor.digest} does not match its digest`);
    return bytes;
  }

  /** Streams a blob like RegistryClient.fetchBlob, so the object store installs straight from a layout. */
  async fetchBlob(_registry: string, _repository: string, descriptor: Descriptor): Promise<ReadableStream<Uint8Array>> {
    const file = Bun.file(this.blobPath(descriptor.digest));
    if (this.checked.has(descriptor.digest) && file.size === descriptor.size) return file.stream();
    return verifyBlobStream(file.stream(), descriptor);
  }

  async fetchBlobBytes(_registry: string, _repository: string, descriptor: Descriptor): Promise<Uint8Array> {
    return new Uint8Array(await new Response(await this.fetchBlob("", "", descriptor)).arrayBuffer());
  }

  private blobPath(digest: string): string {
    const [algorithm, hex] = digest.split(":");
    if (algorithm !== "sha256" || !/^[a-f0-9]{64}$/.test(hex ?? "")) throw new Error(`unsupported digest "${digest}"`);
    return join(this.dir, "blobs", algorithm, hex!);
  }
}
