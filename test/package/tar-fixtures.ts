import { promises as fs } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tar from "tar-stream";

/** One archive entry for a test layer. tar-stream writes raw names such as `../x` unchanged. */
export interface FixtureEntry {
  name: string;
  type?: "file" | "directory" | "symlink" | "link" | "fifo" | "character-device";
  mode?: number;
  content?: string | Uint8Array;
  linkname?: string;
}

/** Builds an uncompressed tar in memory, which is fine because test archives are small. */
export async function tarBytes(entries: FixtureEntry[]): Promise<Uint8Array<ArrayBuffer>> {
  const pack = tar.pack();
  for (const entry of entries) {
    const type = entry.type ?? "file";
    const header = {
      name: entry.name,
      type,
      mode: entry.mode ?? (type === "directory" ? 0o755 : 0o644),
      mtime: new Date(0),
      ...(entry.linkname === undefined ? {} : { linkname: entry.linkname }),
    };
    if (type === "file") pack.entry(header, entry.content ?? "");
    else pack.entry(header);
  }
  pack.finalize();

  const chunks: Uint8Array[] = [];
  for await (const chunk of pack as AsyncIterable<Uint8Array>) chunks.push(chunk);
  return new Uint8Array(Buffer.concat(chunks));
}

export async function tarGzip(entries: FixtureEntry[]): Promise<Uint8Array> {
  return Bun.gzipSync(await tarBytes(entries));
}

/** Streams `bytes` in chunks of `chunkSize`, as a registry response body would arrive. */
export function streamOf(bytes: Uint8Array, chunkSize = 64 * 1024): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.byteLength) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(offset, offset + chunkSize));
      offset += chunkSize;
    },
  });
}

export async function makeTempDir(prefix: string): Promise<string> {
  return fs.mkdtemp(join(tmpdir(), `ocx-${prefix}-`));
}

/** Runs GNU tar, which writes the GNU and PAX long-name records that tar-stream does not. */
export function runTar(args: string[], cwd: string): void {
  const result = Bun.spawnSync(["tar", ...args], { cwd, stderr: "pipe" });
  if (result.exitCode !== 0) {
    throw new Error(`tar ${args.join(" ")} failed: ${result.stderr.toString()}`);
  }
}

/** Sums the sizes of all regular files under `dir`. */
export async function treeSize(dir: string): Promise<number> {
  let total = 0;
  for (const name of await fs.readdir(dir, { recursive: true })) {
    const stats = await fs.lstat(join(dir, name));
    if (stats.isFile()) total += stats.size;
  }
  return total;
}
