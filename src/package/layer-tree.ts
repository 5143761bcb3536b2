import { constants, promises as fs } from "node:fs";
import { join } from "node:path";

import { ancestorPaths, parentSegments, resolveSymlinkTarget } from "./archive-path.ts";
import { invalidArchiveError, unsafeEntryError } from "./errors.ts";

/** One archive entry, already mapped to its path inside the tree. */
export interface TreeEntry {
  /** The name as stored in the archive, used in error messages. */
  name: string;
  path: string;
  /** Permission bits from the tar header. */
  mode: number;
}

type NodeKind = "directory" | "file" | "symlink";

/** Linux gives up on a path after 40 symlinks (MAXSYMLINKS); a chain this long is rejected. */
const MAX_SYMLINK_HOPS = 40;

// O_EXCL fails on any existing name, a dangling symlink included, so a write
// never follows a link. O_NOFOLLOW is absent on Windows, hence the fallback.
const CREATE_FILE_FLAGS =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

/**
 * Writes archive entries into an empty directory that only this tree
 * changes, so its record of what it wrote is the truth about the directory.
 *
 * Symlinks are created by `finish()`, after every other entry. Until then no
 * symlink exists on disk, so no write can pass through one, and each link
 * target is checked against the complete set of links, which order tricks
 * such as `x -> d/s/..` followed by `d/s -> ..` would otherwise defeat.
 */
export class LayerTree {
  readonly #root: string;
  readonly #nodes = new Map<string, NodeKind>([["", "directory"]]);
  readonly #directoryModes = new Map<string, number>();
  readonly #symlinks = new Map<string, { name: string; target: string }>();

  constructor(root: string) {
    this.#root = root;
  }

  async addDirectory(entry: TreeEntry): Promise<void> {
    if (entry.path === "") return;
    const isKept = await this.#prepare(entry, "directory");
    if (!isKept) {
      await withArchiveErrors(entry, () => fs.mkdir(this.#abs(entry.path), { mode: 0o700 }));
      this.#nodes.set(entry.path, "directory");
    }
    this.#directoryModes.set(entry.path, entry.mode);
  }

  /** Writes `body` to a new file; the caller's iterable enforces size limits. */
  async addFile(entry: TreeEntry, body: AsyncIterable<Uint8Array>): Promise<void> {
    await this.#prepare(entry, "file");
    const handle = await withArchiveErrors(entry, () =>
      fs.open(this.#abs(entry.path), CREATE_FILE_FLAGS, 0o600),
    );
    this.#nodes.set(entry.path, "file");

    try {
      for await (const chunk of body) await writeAll(handle, chunk);
      // chmod after writing, so the umask cannot drop execute bits.
      await handle.chmod(fileMode(entry.mode));
    } finally {
      await handle.close();
    }
  }

  /** Links to a file this tree wrote earlier; `targetPath` is already stripped and normalised. */
  async addHardlink(entry: TreeEntry, targetPath: string): Promise<void> {
    if (this.#nodes.get(targetPath) !== "file") {
      throw unsafeEntryError(entry.name, `hardlink target "${targetPath}" is not a file extracted earlier from this layer`);
    }
    if (targetPath === entry.path) return;

    await this.#prepare(entry, "file");
    await withArchiveErrors(entry, () => fs.link(this.#abs(targetPath), this.#abs(entry.path)));
    this.#nodes.set(entry.path, "file");
  }

  async addSymlink(entry: TreeEntry, target: string): Promise<void> {
    const lexical = resolveSymlinkTarget(entry.path, target);
    if (!lexical.ok) throw unsafeEntryError(entry.name, `symlink to "${target}": ${lexical.reason}`);

    await this.#prepare(entry, "symlink");
    this.#nodes.set(entry.path, "symlink");
    this.#symlinks.set(entry.path, { name: entry.name, target });
  }

  /** Creates the symlinks and applies directory modes; call once, after the last entry. */
  async finish(): Promise<void> {
    const folded = new Map<string, string>();
    for (const [path, link] of this.#symlinks) folded.set(path.toLowerCase(), link.target);

    for (const [path, link] of this.#symlinks) {
      const problem = this.#followSymlink(path, link.target, folded);
      if (problem !== undefined) {
        throw unsafeEntryError(link.name, `symlink to "${link.target}": ${problem}`);
      }
      await withArchiveErrors(link, () => fs.symlink(link.target, this.#abs(path)));
    }

    for (const [path, mode] of this.#directoryModes) {
      await fs.chmod(this.#abs(path), directoryMode(mode));
    }
  }

  /**
   * Creates missing parent directories and removes an earlier entry at the
   * same path, as tar does when a name repeats. Returns true when an existing
   * directory stays in place for a directory entry.
   */
  async #prepare(entry: TreeEntry, kind: NodeKind): Promise<boolean> {
    if (entry.path === "") {
      throw invalidArchiveError(entry.name, "resolves to the target directory itself");
    }

    for (const ancestor of ancestorPaths(entry.path)) {
      const existing = this.#nodes.get(ancestor);
      if (existing === "directory") continue;
      if (existing === "symlink") {
        throw unsafeEntryError(entry.name, `parent "${ancestor}" is a symlink`);
      }
      if (existing === "file") throw invalidArchiveError(entry.name, `parent "${ancestor}" is a file`);

      await withArchiveErrors(entry, () => fs.mkdir(this.#abs(ancestor), { mode: 0o700 }));
      this.#nodes.set(ancestor, "directory");
      this.#directoryModes.set(ancestor, 0o755);
    }

    const existing = this.#nodes.get(entry.path);
    if (existing === "directory") {
      if (kind === "directory") return true;
      throw invalidArchiveError(entry.name, "replaces a directory with a non-directory");
    }
    if (existing === "symlink") this.#symlinks.delete(entry.path);
    if (existing === "file") await fs.unlink(this.#abs(entry.path));
    this.#nodes.delete(entry.path);
    return false;
  }

  /**
   * Resolves a link target the way the kernel will, replacing each symlink
   * met on the way by its own target, and returns why it escapes, if it does.
   * `folded` also matches links by lower-case path, because on a
   * case-insensitive file system `A/..` goes through a link named `a`.
   */
  #followSymlink(path: string, target: string, folded: Map<string, string>): string | undefined {
    const stack = parentSegments(path);
    const pending = target.split("/");
    let hops = 0;

    while (pending.length > 0) {
      const segment = pending.shift();
      if (segment === undefined || segment === "" || segment === ".") continue;
      if (segment === "..") {
        if (stack.length === 0) return "resolves outside the target directory through other symlinks";
        stack.pop();
        continue;
      }

      stack.push(segment);
      const current = stack.join("/");
      const exactKind = this.#nodes.get(current);
      const linked =
        exactKind === undefined ? folded.get(current.toLowerCase()) : this.#symlinks.get(current)?.target;
      if (linked === undefined) continue;

      hops += 1;
      if (hops > MAX_SYMLINK_HOPS) return `follows more than ${MAX_SYMLINK_HOPS} symlinks`;
      stack.pop();
      pending.unshift(...linked.split("/"));
    }
    return undefined;
  }

  #abs(path: string): string {
    return join(this.#root, path);
  }
}

/** Keeps read, write and execute bits but drops setuid, setgid and sticky. The owner can always read. */
function fileMode(mode: number): number {
  return (mode & 0o777) | 0o400;
}

/** Keeps the permission bits and gives the owner full access, so the tree can be renamed and removed later. */
function directoryMode(mode: number): number {
  return (mode & 0o777) | 0o700;
}

async function writeAll(handle: fs.FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
}

/** Turns name clashes the record did not foresee (e.g. case folding) into an archive error. */
async function withArchiveErrors<T>(entry: { name: string }, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST" || code === "ENOTDIR" || code === "EISDIR") {
      throw invalidArchiveError(entry.name, `clashes with an earlier entry (${code})`, error);
    }
    throw error;
  }
}
