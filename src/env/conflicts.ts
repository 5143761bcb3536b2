import type { ComposeInput, Conflict } from "./types.ts";

interface Override {
  winner: ComposeInput;
  overridden: ComposeInput[];
  isExpected: boolean;
}

/**
 * Tracks which inputs own each variable's current value, so that a constant
 * replacing another input's value can be reported. The caller's own values
 * have no owner: replacing them is what a constant is for.
 */
export class ConflictTracker {
  readonly #owners = new Map<string, ComposeInput[]>();
  readonly #overrides = new Map<string, Override[]>();

  /** Records a `path` or `list` change, which keeps the earlier owners' elements. */
  extend(key: string, input: ComposeInput): void {
    const owners = this.#owners.get(key) ?? [];
    if (!owners.includes(input)) owners.push(input);
    this.#owners.set(key, owners);
  }

  /** Records a constant; `isSameValue` skips the report when nothing changed. */
  replace(key: string, input: ComposeInput, isSameValue: boolean): void {
    const overridden = (this.#owners.get(key) ?? []).filter((owner) => owner !== input);
    if (isSameValue) {
      this.extend(key, input);
      return;
    }
    this.#owners.set(key, [input]);
    if (overridden.length === 0) return;

    const isExpected =
      input.role === "companion" &&
      overridden.every(
        (owner) => owner.role === "package" && (input.patches ?? []).includes(owner.id),
      );
    const overrides = this.#overrides.get(key) ?? [];
    overrides.push({ winner: input, overridden, isExpected });
    this.#overrides.set(key, overrides);
  }

  /** Returns one conflict per variable, sorted by key. */
  conflicts(): Conflict[] {
    const keys = [...this.#overrides.keys()].sort();
    return keys.map((key) => describeConflict(key, this.#overrides.get(key) ?? []));
  }
}

function describeConflict(key: string, overrides: Override[]): Conflict {
  const ids: string[] = [];
  for (const { winner, overridden } of overrides) {
    for (const input of [...overridden, winner]) {
      if (!ids.includes(input.id)) ids.push(input.id);
    }
  }
  const winner = (overrides.at(-1) as Override).winner.id;
  ids.splice(ids.indexOf(winner), 1);
  ids.push(winner);

  if (overrides.every((override) => override.isExpected)) {
    const bases = ids.slice(0, -1);
    return {
      key,
      level: "info",
      ids,
      message: `companion "${winner}" overrides ${key} of ${listIds(bases)}, which it patches`,
    };
  }
  return {
    key,
    level: "warn",
    ids,
    message: `${key} is set by ${listIds(ids)}: "${winner}" wins because it comes last in the order`,
  };
}

function listIds(ids: string[]): string {
  const quoted = ids.map((id) => `"${id}"`);
  if (quoted.length <= 1) return quoted.join("");
  return `${quoted.slice(0, -1).join(", ")} and ${quoted.at(-1)}`;
}
