/**
 * A mirror of a registry. Pull requests try the mirrors of a registry in
 * order and fall back to the registry itself; pushes and token requests
 * never go to a mirror.
 */
export interface RegistryMirror {
  /** `host[:port]` of the mirror. */
  registry: string;
  /** Path put before the repository name on the mirror, or "". */
  prefix: string;
  /**
   * `tags`: manifests by tag. `digests`: blobs and manifests by digest,
   * whose content the client verifies, so an untrusted cache may serve them.
   */
  serves: ("tags" | "digests")[];
}

export type MirrorRequestKind = "tags" | "digests";

const PULL_PATH = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/;

/**
 * Classifies a request for mirrors: a GET or HEAD of a manifest or blob of
 * `repository`. Anything else (uploads, token requests) is undefined and
 * goes to the registry only.
 */
export function mirrorRequestKind(
  method: string,
  path: string,
  repository: string,
): MirrorRequestKind | undefined {
  if (method !== "GET" && method !== "HEAD") return undefined;
  const match = PULL_PATH.exec(path);
  if (!match || match[1] !== repository) return undefined;
  if (match[2] === "blobs") return "digests";
  return match[3]!.includes(":") ? "digests" : "tags";
}

/** The repository name on the mirror: its prefix, then the original name. */
export function mirrorRepository(
  mirror: RegistryMirror,
  repository: string,
): string {
  return mirror.prefix === "" ? repository : `${mirror.prefix}/${repository}`;
}
