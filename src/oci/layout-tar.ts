import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";

// Everything an image layout may hold; any other entry in a bundle tar is refused.
const LAYOUT_ENTRY = /^(?:\.\/)?(oci-layout|index\.json|blobs\/sha256\/[a-f0-9]{64}|blobs\/?|blobs\/sha256\/?)$/;

/** Packs an image layout folder into a plain tar (as `skopeo` and `oras` read it). */
export async function packLayout(dir: string, file: string): Promise<void> {
  const tar = await import("tar-stream");
  const { pipeline } = await import("node:stream/promises");
  const pack = tar.pack();
  const writing = pipeline(pack, createWriteStream(file));
  const names = ["oci-layout", "index.json", ...(await readdir(join(dir, "blobs", "sha256"))).sort().map((hex) => `blobs/sha256/${hex}`)];
  for (const name of names) {
    const info = await stat(join(dir, name));
    const entry = pack.entry({ name, size: info.size, mode: 0o644, mtime: new Date(0) });
    await pipeline(createReadStream(join(dir, name)), entry);
  }
  pack.finalize();
  await writing;
}

/** Unpacks a bundle tar into `dir`, refusing entries that are not part of an image layout. */
export async function unpackLayout(file: string, dir: string): Promise<void> {
  const tar = await import("tar-stream");
  const { pipeline } = await import("node:stream/promises");
  const extract = tar.extract();
  const reading = pipeline(createReadStream(file), extract);
  // Stopping early closes the pipeline; its rejection is expected then.
  reading.catch(() => {});
  for await (const entry of extract) {
    const name = entry.header.name;
    const match = LAYOUT_ENTRY.exec(name);
    if (!match) {
      entry.resume();
      throw new Error(`unexpected entry "${name}" in the bundle`);
    }
    if (entry.header.type === "directory") {
      entry.resume();
      continue;
    }
    if (entry.header.type !== "file") throw new Error(`entry "${name}" is a ${entry.header.type}, not a file`);
    const target = join(dir, match[1]!);
    await mkdir(dirname(target), { recursive: true });
    await pipeline(entry, createWriteStream(target));
  }
  await reading;
}
