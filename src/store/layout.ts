import { dirname, join, relative } from "node:path";
import { slugify } from "../patch/slugify.ts";

/**
 * Paths inside `$OCX_HOME`. Every link it stores is relative, so a copied
 * or zipped home keeps working at another path.
 */
export class StoreLayout {
  constructor(readonly home: string) {}

  objectDir(digest: string): string {
    const [algorithm, hex] = splitDigest(digest);
    return join(this.home, "objects", algorithm, hex);
  }

  /** Returns the folder a package's `${installPath}` points at. */
  contentDir(digest: string): string {
    return join(this.objectDir(digest), "content");
  }

  tagIndexFile(registry: string, repository: string): string {
    return join(this.home, "index", slugify(registry), "tags", `${repository}.json`);
  }

  installLink(registry: string, repository: string, tag: string): string {
    return join(this.home, "installs", slugify(registry), repository, "candidates", tag);
  }

  artifactLink(registry: string, repository: string): string {
    return join(this.home, "artifacts", slugify(registry), repository, "patch");
  }

  /** Where a tag-less install (`REPO@sha256:...`) is linked. */
  digestInstallLink(registry: string, repository: string, digest: string): string {
    const [algorithm, hex] = splitDigest(digest);
    return join(this.home, "installs", slugify(registry), repository, "digests", `${algorithm}-${hex}`);
  }

  /** Back-references: which objects keep this one alive, and why. */
  refsDir(digest: string): string {
    return join(this.objectDir(digest), "refs");
  }

  locksDir(): string {
    return join(this.home, "locks");
  }

  /** Held while one process downloads an object, so others wait instead of downloading too. */
  objectLock(digest: string): string {
    const [algorithm, hex] = splitDigest(digest);
    return join(this.locksDir(), "objects", `${algorithm}-${hex}.lock`);
  }

  /**
   * A file rewritten after every change to the local index, so an activated
   * shell can tell with one mtime test that resolution may differ.
   */
  indexStamp(): string {
    return join(this.home, "index", ".changed");
  }

  tempRoot(): string {
    return join(this.home, "tmp");
  }

  /** Computes the relative target for a link at `linkPath` pointing at `target`. */
  relativeTarget(linkPath: string, target: string): string {
    return relative(dirname(linkPath), target);
  }
}

export function splitDigest(digest: string): [string, string] {
  const match = /^(sha256):([a-f0-9]{64})$/.exec(digest);
  if (!match) throw new Error(`not a sha256 digest: ${digest}`);
  return [match[1]!, match[2]!];
}
