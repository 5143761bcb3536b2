import type { Descriptor, ImageIndex, Platform } from "./types.ts";

const ARCHITECTURES: Record<string, string> = {
  x64: "amd64",
  arm64: "arm64",
  arm: "arm",
  ia32: "386",
};
const OPERATING_SYSTEMS: Record<string, string> = {
  linux: "linux",
  darwin: "darwin",
  win32: "windows",
};

/** Maps Node's process.platform/arch names to the GOOS/GOARCH names OCI uses. */
export function currentPlatform(): Platform {
  return {
    os: OPERATING_SYSTEMS[process.platform] ?? process.platform,
    architecture: ARCHITECTURES[process.arch] ?? process.arch,
  };
}

/** Formats as `os/architecture[/variant]`, the form docker and skopeo print. */
export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant]
    .filter(Boolean)
    .join("/");
}

/**
 * Picks the index entry for `platform`. A wanted variant must match exactly.
 * Without a wanted variant, an entry without a variant is preferred to one
 * with, so `linux/arm64` picks a plain arm64 entry over `arm64/v8` if both exist.
 */
export function selectPlatform(
  index: ImageIndex,
  platform: Platform,
): Descriptor | undefined {
  const candidates = index.manifests.filter(
    (entry) =>
      entry.platform?.os === platform.os &&
      entry.platform.architecture === platform.architecture &&
      (platform.variant === undefined ||
        entry.platform.variant === platform.variant),
  );
  return (
    candidates.find((entry) => entry.platform?.variant === undefined) ??
    candidates[0]
  );
}

/** Lists the platforms of an index for error messages. */
export function listPlatforms(index: ImageIndex): string[] {
  return index.manifests.flatMap((entry) =>
    entry.platform ? [formatPlatform(entry.platform)] : [],
  );
}
