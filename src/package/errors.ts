import { ExitCode, OcxError } from "../error/ocx-error.ts";

/**
 * Error codes of package metadata and layer extraction. All of them exit 65
 * (bad data): the package content is wrong, so retrying cannot help.
 */
export const PACKAGE_METADATA_INVALID = "PACKAGE_METADATA_INVALID";
/** An entry would land outside the target directory or could redirect later writes. */
export const PACKAGE_ARCHIVE_UNSAFE = "PACKAGE_ARCHIVE_UNSAFE";
/** The layer expands past the byte or entry limit. */
export const PACKAGE_ARCHIVE_TOO_LARGE = "PACKAGE_ARCHIVE_TOO_LARGE";
/** The layer is not a readable tar stream: corrupt, truncated or of an unknown entry type. */
export const PACKAGE_ARCHIVE_INVALID = "PACKAGE_ARCHIVE_INVALID";
/** The directory given to build a layer contains something a layer cannot carry, such as a FIFO. */
export const PACKAGE_LAYER_SOURCE_INVALID = "PACKAGE_LAYER_SOURCE_INVALID";
/** The layer's media type names a compression ocx cannot decode. */
export const PACKAGE_LAYER_UNSUPPORTED = "PACKAGE_LAYER_UNSUPPORTED";

const REPUBLISH_HINT =
  "The layer is rejected to protect this host; ask the package publisher to rebuild it with plain relative paths";

export function unsafeEntryError(entry: string, detail: string): OcxError {
  return new OcxError(PACKAGE_ARCHIVE_UNSAFE, `Unsafe archive entry "${entry}": ${detail}`, {
    hint: REPUBLISH_HINT,
    exitCode: ExitCode.dataError,
  });
}

export function invalidArchiveError(entry: string | undefined, detail: string, cause?: unknown): OcxError {
  const subject = entry === undefined ? "Invalid layer archive" : `Invalid archive entry "${entry}"`;
  return new OcxError(PACKAGE_ARCHIVE_INVALID, `${subject}: ${detail}`, {
    hint: "The layer is corrupt or truncated; pull it again, and if it persists ask the package publisher to rebuild it",
    cause,
    exitCode: ExitCode.dataError,
  });
}

export function archiveTooLargeError(detail: string): OcxError {
  return new OcxError(PACKAGE_ARCHIVE_TOO_LARGE, `Layer archive too large: ${detail}`, {
    hint: "The layer may be a decompression bomb; if the package is genuinely this large, raise max_package_bytes under [limits] in config.toml",
    exitCode: ExitCode.dataError,
  });
}
