/**
 * Path rules for layer entries. Paths are `/`-separated, relative to the
 * target directory, with no `.`, `..` or empty segments; "" is the target
 * directory itself. Every check runs on the path after `strip_components`,
 * because a name like `pkg/../x` only escapes once `pkg` is stripped.
 */

export type EntryPathResult =
  | { ok: true; path: string }
  | { ok: true; path: undefined }
  | { ok: false; reason: string };

export type LinkTargetResult = { ok: true; path: string } | { ok: false; reason: string };

/**
 * Maps an entry name to its path inside the target directory. Returns
 * `path: undefined` when stripping leaves nothing, so the entry is skipped.
 * Stripping counts raw segments, `.` and `..` included, as GNU tar does.
 */
export function resolveEntryPath(name: string, stripComponents: number): EntryPathResult {
  const problem = findNameProblem(name);
  if (problem !== undefined) return { ok: false, reason: problem };

  const segments = name.split("/").filter((segment) => segment !== "");
  if (segments.length <= stripComponents) return { ok: true, path: undefined };
  return normalizeSegments(segments.slice(stripComponents), []);
}

/**
 * Resolves a symlink target lexically from the directory holding the link.
 * This catches plain escapes early; links through other links are checked
 * again once every entry is known.
 */
export function resolveSymlinkTarget(linkPath: string, target: string): LinkTargetResult {
  const problem = findNameProblem(target);
  if (problem !== undefined) return { ok: false, reason: `link target ${problem}` };
  if (target === "") return { ok: false, reason: "link target is empty" };

  return normalizeSegments(target.split("/"), parentSegments(linkPath));
}

export function parentSegments(path: string): string[] {
  const segments = path === "" ? [] : path.split("/");
  return segments.slice(0, -1);
}

/** Lists every proper ancestor of `path`, nearest the root first, without "". */
export function ancestorPaths(path: string): string[] {
  const segments = parentSegments(path);
  return segments.map((_, index) => segments.slice(0, index + 1).join("/"));
}

function findNameProblem(name: string): string | undefined {
  if (name.includes("\0")) return "contains a NUL byte";
  if (name.startsWith("/")) return "is an absolute path";
  // A backslash separates paths on Windows; rejecting it everywhere keeps one
  // layer extracting to the same tree on every platform.
  if (name.includes("\\")) return "contains a backslash";
  return undefined;
}

function normalizeSegments(segments: string[], base: string[]): LinkTargetResult {
  const stack = [...base];
  for (const segment of segments) {
    if (segment === "" || segment === ".") continue;
    if (segment !== "..") {
      stack.push(segment);
      continue;
    }
    if (stack.length === 0) return { ok: false, reason: "resolves outside the target directory" };
    stack.pop();
  }
  return { ok: true, path: stack.join("/") };
}
