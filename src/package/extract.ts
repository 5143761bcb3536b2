import { Readable, type Transform, pipeline } from "node:stream";
import * as tar from "tar-stream";

import { ExitCode, OcxError } from "../error/ocx-error.ts";
import { MediaType } from "../oci/media-types.ts";
import { resolveEntryPath } from "./archive-path.ts";
import {
  archiveTooLargeError,
  invalidArchiveError,
  PACKAGE_LAYER_UNSUPPORTED,
  unsafeEntryError,
} from "./errors.ts";
import { LayerTree, type TreeEntry } from "./layer-tree.ts";

export interface ExtractOptions {
  mediaType: string;
  targetDir: string;
  stripComponents?: number;
  /** Maximum bytes of entry content read from the archive; default 4 GiB. */
  maxBytes?: number;
  /**
   * Maximum number of entries in the archive; default 1,000,000.
   * NOTE: both defaults are estimates, not measured against large packages.
   */
  maxEntries?: number;
}

export interface ExtractResult {
  /** Entries written into the target directory; entries removed by stripping are not counted. */
  entries: number;
  /** Bytes of entry content read from the archive. */
  bytes: number;
}

const DEFAULT_MAX_BYTES = 4 * 1024 ** 3;
const DEFAULT_MAX_ENTRIES = 1_000_000;

// Tar data beyond entry content: headers, long names, padding and trailing
// zero blocks. The allowance is far above what tar writers emit and exists so
// that endless zero blocks after the last entry cannot keep us decoding.
const TAR_OVERHEAD_BASE = 16 * 1024 ** 2;
const TAR_OVERHEAD_PER_ENTRY = 16 * 1024;

type TarEntry = tar.ExtractEvents["entry"][1];

interface Progress {
  tarBytes: number;
  contentBytes: number;
  entriesSeen: number;
  entriesWritten: number;
}

interface Limits {
  maxBytes: number;
  maxEntries: number;
  stripComponents: number;
}

/**
 * Extracts a tar layer (plain, gzip or zstd) into `targetDir`, which must
 * exist and be empty. The stream is decoded while it arrives, so memory use
 * does not grow with the layer. On failure `targetDir` contains a partial tree
 * that the caller removes, and the source stream is cancelled.
 * @throws OcxError PACKAGE_ARCHIVE_UNSAFE, PACKAGE_ARCHIVE_TOO_LARGE,
 *   PACKAGE_ARCHIVE_INVALID or PACKAGE_LAYER_UNSUPPORTED
 */
export async function extractLayer(
  stream: ReadableStream<Uint8Array>,
  options: ExtractOptions,
): Promise<ExtractResult> {
  const decoder = await createDecoder(options.mediaType);
  if (decoder === "unsupported") {
    await stream.cancel();
    throw unsupportedLayerError(options.mediaType);
  }

  const limits: Limits = {
    maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
    maxEntries: options.maxEntries ?? DEFAULT_MAX_ENTRIES,
    stripComponents: options.stripComponents ?? 0,
  };
  const progress: Progress = { tarBytes: 0, contentBytes: 0, entriesSeen: 0, entriesWritten: 0 };
  const tree = new LayerTree(options.targetDir);
  const extract = tar.extract();
  // An entry stream fails with a bare "destroyed" error when the parser
  // fails, so the parser's own error is kept to report the real cause.
  let parserError: unknown;
  extract.on("error", (error) => {
    parserError ??= error;
  });
  const chunks = decode(stream, decoder);
  const feeding = feedArchive(chunks, extract, { limits, progress });

  try {
    for await (const entry of extract) {
      await extractEntry(entry, { tree, limits, progress });
    }
    await tree.finish();
  } catch (error) {
    // Stop reading at once, so a stalled download cannot delay the error.
    chunks.destroy();
    extract.destroy(null);
    throw toArchiveError(error instanceof OcxError ? error : (parserError ?? error));
  } finally {
    await feeding;
  }
  return { entries: progress.entriesWritten, bytes: progress.contentBytes };
}

/**
 * node:zlib is imported on first use: the compiled binary evaluates static
 * imports of built-in modules at start-up, which costs every `ocx env` ~20 ms.
 */
async function createDecoder(mediaType: string): Promise<Transform | undefined | "unsupported"> {
  const { createGunzip, createZstdDecompress } = await import("node:zlib");
  switch (mediaType) {
    case MediaType.layerTarGzip:
    case MediaType.dockerLayerTarGzip:
      return createGunzip();
    case MediaType.layerTarZstd:
      return createZstdDecompress();
    case MediaType.layerTar:
      return undefined;
    default:
      return "unsupported";
  }
}

function decode(stream: ReadableStream<Uint8Array>, decoder: Transform | undefined): Readable {
  const source = Readable.fromWeb(stream as import("node:stream/web").ReadableStream<Uint8Array>);
  if (decoder === undefined) return source;
  // The caller reads `decoder`; errors on either side destroy both, and
  // destroying the source cancels the web stream.
  pipeline(source, decoder, () => {});
  return decoder;
}

/**
 * Writes decoded tar data into the parser with backpressure. Failures go to
 * the parser, whose entry iterator then rejects with them.
 */
async function feedArchive(
  chunks: Readable,
  extract: tar.Extract,
  state: { limits: Limits; progress: Progress },
): Promise<void> {
  const { limits, progress } = state;
  try {
    for await (const chunk of chunks as AsyncIterable<Uint8Array>) {
      if (extract.destroyed) break;
      progress.tarBytes += chunk.byteLength;
      const allowed =
        limits.maxBytes + TAR_OVERHEAD_BASE + progress.entriesSeen * TAR_OVERHEAD_PER_ENTRY;
      if (progress.tarBytes > allowed) {
        throw archiveTooLargeError(`more than ${formatBytes(allowed)} of tar data for the content limit of ${formatBytes(limits.maxBytes)}`);
      }
      if (!extract.write(chunk)) await drainedOrClosed(extract);
    }
    if (!extract.destroyed) extract.end(null);
  } catch (error) {
    extract.destroy(error as Error);
  } finally {
    chunks.destroy();
  }
}

function drainedOrClosed(extract: tar.Extract): Promise<void> {
  if (extract.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      extract.off("drain", done);
      extract.off("close", done);
      resolve();
    };
    extract.on("drain", done);
    extract.on("close", done);
  });
}

async function extractEntry(
  entry: TarEntry,
  state: { tree: LayerTree; limits: Limits; progress: Progress },
): Promise<void> {
  const { tree, limits, progress } = state;
  const { header } = entry;
  progress.entriesSeen += 1;
  if (progress.entriesSeen > limits.maxEntries) {
    throw archiveTooLargeError(`more than the limit of ${limits.maxEntries} entries`);
  }

  const resolved = resolveEntryPath(header.name, limits.stripComponents);
  if (!resolved.ok) throw unsafeEntryError(header.name, resolved.reason);
  if (isSpecialFile(header.type)) {
    throw unsafeEntryError(header.name, `${header.type} entries are not allowed in a package`);
  }
  const body = limitContent(entry, { limits, progress });
  if (resolved.path === undefined) return drain(body);

  const treeEntry: TreeEntry = { name: header.name, path: resolved.path, mode: header.mode ?? 0o644 };
  switch (header.type) {
    case "file":
    case "contiguous-file":
      await tree.addFile(treeEntry, body);
      break;
    case "directory":
      await tree.addDirectory(treeEntry);
      break;
    case "symlink":
      await tree.addSymlink(treeEntry, header.linkname ?? "");
      break;
    case "link":
      await tree.addHardlink(treeEntry, resolveHardlinkTarget(header, limits.stripComponents));
      break;
    default:
      throw invalidArchiveError(header.name, `unsupported entry type "${header.type ?? "unknown"}"`);
  }
  progress.entriesWritten += 1;
  await drain(body);
}

/** Hardlink names are relative to the archive root, so they are stripped like entry names. */
function resolveHardlinkTarget(header: tar.Header, stripComponents: number): string {
  const linkname = header.linkname ?? "";
  const target = resolveEntryPath(linkname, stripComponents);
  if (!target.ok) throw unsafeEntryError(header.name, `hardlink to "${linkname}": target ${target.reason}`);
  return target.path ?? "";
}

function isSpecialFile(type: string | null): boolean {
  return type === "character-device" || type === "block-device" || type === "fifo";
}

/** Counts entry content against `maxBytes` before any of it reaches the disk. */
async function* limitContent(
  entry: TarEntry,
  state: { limits: Limits; progress: Progress },
): AsyncGenerator<Uint8Array> {
  for await (const chunk of entry as AsyncIterable<Uint8Array>) {
    state.progress.contentBytes += chunk.byteLength;
    if (state.progress.contentBytes > state.limits.maxBytes) {
      throw archiveTooLargeError(`entry "${entry.header.name}" takes the content past the limit of ${formatBytes(state.limits.maxBytes)}`);
    }
    yield chunk;
  }
}

async function drain(body: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const _ of body) {
    // Content of entries that write no file is still counted against the limit.
  }
}

/** Keeps OcxErrors and file system failures; anything else means the data is not a valid layer. */
function toArchiveError(error: unknown): unknown {
  if (error instanceof OcxError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const isZlibError = typeof code === "string" && code.startsWith("Z_");
  if (!isZlibError && (error as NodeJS.ErrnoException | undefined)?.syscall !== undefined) return error;
  return invalidArchiveError(undefined, (error as Error).message, error);
}

function unsupportedLayerError(mediaType: string): OcxError {
  return new OcxError(
    PACKAGE_LAYER_UNSUPPORTED,
    `Unsupported layer media type "${mediaType}": expected a tar layer, uncompressed or compressed with gzip or zstd`,
    {
      hint: "Ask the package publisher to push the layer as tar+gzip or tar+zstd",
      exitCode: ExitCode.dataError,
    },
  );
}

function formatBytes(bytes: number): string {
  const mebibytes = bytes / 1024 ** 2;
  return Number.isInteger(mebibytes) ? `${bytes} bytes (${mebibytes} MiB)` : `${bytes} bytes`;
}
