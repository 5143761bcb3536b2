import { createReadStream, createWriteStream, promises as fs, type Stats } from "node:fs";
import { join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as tar from "tar-stream";

import { ExitCode, OcxError } from "../error/ocx-error.ts";
import { resolveSymlinkTarget } from "./archive-path.ts";
import { PACKAGE_LAYER_SOURCE_INVALID } from "./errors.ts";

export interface BuildLayerOptions {
  /** Paths relative to `dir`, `/`-separated, left out of the layer with everything under them. */
  exclude?: string[];
}

export interface BuildLayerResult {
  /** `sha256:<hex>` of the compressed file, as a layer descriptor records it. */
  digest: string;
  size: number;
}

/**
 * Writes `dir` as a reproducible tar+gzip layer: entries sorted by path,
 * mtime 0, owner 0:0 without names, permission bits kept, symlinks kept as
 * symlinks. The same tree gives the same digest with the same Bun build.
 * On failure the partly written `outputFile` is removed.
 * NOTE: gzip output can differ between zlib builds, so a different Bun
 * version may produce a different digest for the same tree.
 */
export async function buildLayer(
  dir: string,
  outputFile: string,
  options: BuildLayerOptions = {},
): Promise<BuildLayerResult> {
  const paths = await listTree(dir, new Set(options.exclude ?? []));
  const pack = tar.pack();
  const hasher = new Bun.CryptoHasher("sha256");
  let size = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hasher.update(chunk);
      size += chunk.byteLength;
      callback(null, chunk);
    },
  });
  // Imported here, not at the top: see createDecoder in extract.ts.
  const { createGzip } = await import("node:zlib");
  const writing = pipeline(pack, createGzip(), measure, createWriteStream(outputFile));

  try {
    for (const path of paths) await addEntry(pack, dir, path);
    pack.finalize();
  } catch (error) {
    pack.destroy(error as Error);
    await writing.catch(() => {});
    await fs.rm(outputFile, { force: true });
    throw error;
  }
  await writing;
  return { digest: `sha256:${hasher.digest("hex")}`, size };
}

/** Lists every path under `dir`, sorted so each directory precedes its contents. */
async function listTree(dir: string, exclude: Set<string>): Promise<string[]> {
  const paths: string[] = [];
  const visit = async (relative: string): Promise<void> => {
    const names = await fs.readdir(relative === "" ? dir : join(dir, relative));
    for (const name of names) {
      const path = relative === "" ? name : `${relative}/${name}`;
      if (exclude.has(path)) continue;
      paths.push(path);
      const stats = await fs.lstat(join(dir, path));
      if (stats.isDirectory()) await visit(path);
    }
  };
  await visit("");
  // Code-unit order puts a path right before any path it prefixes.
  return paths.sort(compareCodeUnits);
}

function compareCodeUnits(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}

async function addEntry(pack: tar.Pack, dir: string, path: string): Promise<void> {
  const absolute = join(dir, path);
  const stats = await fs.lstat(absolute);
  const header = {
    name: path,
    mode: stats.mode & 0o7777,
    mtime: new Date(0),
    uid: 0,
    gid: 0,
    uname: "",
    gname: "",
  };

  if (stats.isDirectory()) {
    // tar-stream adds no trailing slash, but GNU tar writes one and readers expect it.
    return writeEntry(pack, { ...header, name: `${path}/`, type: "directory" });
  }
  if (stats.isSymbolicLink()) {
    const linkname = await fs.readlink(absolute);
    // Checked with the extraction rule: a link every client would reject must not be published.
    const target = resolveSymlinkTarget(path, linkname);
    if (!target.ok) {
      throw new OcxError(PACKAGE_LAYER_SOURCE_INVALID, `Cannot add symlink "${path}" -> "${linkname}" to a layer: ${target.reason}`, {
        hint: "Use a relative link that stays inside the package directory",
        exitCode: ExitCode.dataError,
      });
    }
    return writeEntry(pack, { ...header, type: "symlink", linkname });
  }
  if (stats.isFile()) {
    const body = createReadStream(absolute);
    return writeEntry(pack, { ...header, type: "file", size: stats.size }, body);
  }
  throw unsupportedSourceError(absolute, stats);
}

/** Adds one entry and resolves once the pack has taken all of its content. */
function writeEntry(
  pack: tar.Pack,
  header: Parameters<tar.Pack["entry"]>[0],
  body?: AsyncIterable<Uint8Array>,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const sink = pack.entry(header, (error) => (error ? reject(error) : resolve()));
    if (body === undefined) return;

    const copy = async () => {
      for await (const chunk of body) {
        if (!sink.write(chunk)) await new Promise<void>((drained) => sink.once("drain", () => drained()));
      }
      sink.end(null);
    };
    copy().catch((error: Error) => {
      sink.destroy(error);
      reject(error);
    });
  });
}

function unsupportedSourceError(path: string, stats: Stats): OcxError {
  const kind = stats.isFIFO() ? "FIFO" : stats.isSocket() ? "socket" : "device";
  return new OcxError(
    PACKAGE_LAYER_SOURCE_INVALID,
    `Cannot add "${path}" to a layer: a ${kind} is not a file, directory or symlink`,
    { hint: "Remove it from the package directory or list it in the excluded paths", exitCode: ExitCode.dataError },
  );
}
