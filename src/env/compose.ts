import { ConflictTracker } from "./conflicts.ts";
import type { ComposeInput, ComposeResult, EnvEntry, Origin } from "./types.ts";

export type { ComposeInput, ComposeResult, Conflict, EnvEntry, Origin } from "./types.ts";

const DEFAULT_SEPARATOR = ":";

/**
 * Composes the environment by walking inputs in graph order over the
 * caller's variables:
 * - `constant` replaces, the caller's value included;
 * - `path` prepends with move-to-front, and one input's path entries for a
 *   variable are prepended as a group, so they keep their declared order;
 * - `list` appends elements not yet present.
 * Empty values are skipped and an empty or unset variable contributes no
 * element, so no empty element (which shells read as the current directory)
 * is ever added. Composing again over the result leaves it unchanged.
 */
export function composeEnv(
  order: ComposeInput[],
  base: Record<string, string | undefined>,
): ComposeResult {
  const env = new Map<string, string>();
  for (const [key, value] of Object.entries(base)) {
    if (value !== undefined) env.set(key, value);
  }
  const origins: Record<string, Origin[]> = {};
  const tracker = new ConflictTracker();

  for (const input of order) {
    for (const run of groupEntries(input.entries)) {
      const key = run.key;
      const before = env.get(key);
      const after = applyRun(run, before);
      if (after === undefined) continue;

      env.set(key, after);
      (origins[key] ??= []).push({
        id: input.id,
        role: input.role,
        action: ACTIONS[run.type],
        value: after,
        ...(before === undefined ? {} : { previous: before }),
      });
      if (run.type === "constant") tracker.replace(key, input, after === before);
      else tracker.extend(key, input);
    }
  }

  const changed = [...env.keys()].filter((key) => env.get(key) !== base[key]).sort();
  return {
    env: Object.fromEntries(env),
    changed,
    unset: [],
    origins,
    conflicts: tracker.conflicts(),
  };
}

const ACTIONS = { constant: "set", path: "prepend", list: "append" } as const;

/** Consecutive entries of one input with the same key, type and separator. */
interface EntryRun {
  key: string;
  type: EnvEntry["type"];
  separator: string;
  values: string[];
}

/**
 * Groups an input's entries per variable, variables in order of first
 * mention. Entries of another type split a variable's group into runs.
 */
function groupEntries(entries: EnvEntry[]): EntryRun[] {
  const runsByKey = new Map<string, EntryRun[]>();
  for (const entry of entries) {
    const runs = runsByKey.get(entry.key) ?? [];
    runsByKey.set(entry.key, runs);
    const separator = entry.separator ?? DEFAULT_SEPARATOR;
    const last = runs.at(-1);
    if (last !== undefined && last.type === entry.type && last.separator === separator) {
      last.values.push(entry.value);
    } else {
      runs.push({ key: entry.key, type: entry.type, separator, values: [entry.value] });
    }
  }
  return [...runsByKey.values()].flat();
}

/** Returns the new value, or undefined when the run contributes nothing. */
function applyRun(run: EntryRun, current: string | undefined): string | undefined {
  if (run.type === "constant") return run.values.at(-1);

  const added = [...new Set(run.values.flatMap((value) => splitElements(value, run.separator)))];
  if (added.length === 0) return undefined;
  // NOTE: empty elements already in the caller's value stay where they are;
  // ocx adds none, but it does not rewrite the caller's own choice either.
  const existing = splitExisting(current, run.separator);

  if (run.type === "path") {
    const moved = new Set(added);
    return [...added, ...existing.filter((element) => !moved.has(element))].join(run.separator);
  }
  const present = new Set(existing);
  return [...existing, ...added.filter((element) => !present.has(element))].join(run.separator);
}

function splitExisting(current: string | undefined, separator: string): string[] {
  if (current === undefined || current === "") return [];
  return separator === "" ? [current] : current.split(separator);
}

function splitElements(value: string, separator: string): string[] {
  if (separator === "") return value === "" ? [] : [value];
  return value.split(separator).filter((element) => element !== "");
}
