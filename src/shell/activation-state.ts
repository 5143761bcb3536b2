import * as v from "valibot";
import type { ShellScript } from "./script.ts";

/** The exported variable that records what the activation hook changed. */
export const STATE_VARIABLE = "__OCX_STATE";

const VariableStateSchema = v.object({
  /** The value before ocx changed it; `null` when it was unset. */
  prior: v.nullable(v.string()),
  /** The value ocx set, to tell whether the user changed it since. */
  value: v.string(),
  /** For `path` and `list` variables: the element separator. */
  separator: v.optional(v.string()),
  /** For `path` and `list` variables: elements ocx added that were not there before. */
  added: v.optional(v.array(v.string())),
});

const WatchSchema = v.object({
  /** A file whose mtime is just past the newest watched mtime, or none. */
  stamp: v.nullable(v.string()),
  files: v.array(v.string()),
});

const ActivationStateSchema = v.object({
  version: v.literal(1),
  project: v.string(),
  tools: v.array(v.string()),
  vars: v.record(v.string(), VariableStateSchema),
  watch: WatchSchema,
});

export type VariableState = v.InferOutput<typeof VariableStateSchema>;
export type ActivationState = v.InferOutput<typeof ActivationStateSchema>;
export type Watch = v.InferOutput<typeof WatchSchema>;

type Env = Record<string, string | undefined>;

/**
 * Reads the state a previous hook run exported. A missing, damaged or
 * foreign value counts as no activation, so the hook starts afresh.
 */
export function readState(env: Env): ActivationState | undefined {
  const text = env[STATE_VARIABLE];
  if (text === undefined || text === "") return undefined;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = v.safeParse(ActivationStateSchema, data);
  return parsed.success ? parsed.output : undefined;
}

/**
 * Returns the environment as it would be without the activation: every
 * variable ocx set goes back to its prior value (or unset) unless the user
 * changed it since. A `path` or `list` variable the user edited keeps the
 * edit and loses exactly the elements ocx added.
 */
export function revertState(env: Env, state: ActivationState | undefined): Env {
  const base: Env = { ...env };
  delete base[STATE_VARIABLE];
  for (const [key, entry] of Object.entries(state?.vars ?? {})) {
    const current = env[key];
    if (current === entry.value) {
      base[key] = entry.prior ?? undefined;
      continue;
    }
    if (current === undefined || entry.separator === undefined) continue;
    base[key] = removeAdded(current, entry);
  }
  return definedOnly(base);
}

function removeAdded(current: string, entry: VariableState): string | undefined {
  const separator = entry.separator!;
  const elements = separator === "" ? [current] : current.split(separator);
  for (const added of entry.added ?? []) {
    const index = elements.indexOf(added);
    if (index >= 0) elements.splice(index, 1);
  }
  const value = elements.join(separator);
  // Nothing of the user's is left: give back exactly what was there before.
  if (elements.length === 0 || value === "") return entry.prior ?? undefined;
  return value;
}

/** Builds the state for a composed environment `target` over `base`. */
export function buildState(options: {
  base: Env;
  target: Record<string, string>;
  separators: Record<string, string>;
  project: string;
  tools: string[];
  watch: Watch;
}): ActivationState {
  const { base, target, separators } = options;
  const vars: Record<string, VariableState> = {};
  for (const key of Object.keys(target).sort()) {
    const value = target[key]!;
    const prior = base[key];
    if (value === prior) continue;
    const separator = separators[key];
    vars[key] = { prior: prior ?? null, value };
    if (separator === undefined) continue;
    const before = new Set(splitOn(prior, separator));
    vars[key]!.separator = separator;
    vars[key]!.added = splitOn(value, separator).filter((element) => !before.has(element));
  }
  return { version: 1, project: options.project, tools: options.tools, vars, watch: options.watch };
}

/**
 * The shell changes that turn `env` into `target`, looking only at the
 * variables either the old or the new state touches, plus the state
 * variable itself (set when there is a new state, unset otherwise).
 */
export function diffScript(
  env: Env,
  options: { target: Env; previous: ActivationState | undefined; next: ActivationState | undefined },
): ShellScript {
  const keys = new Set([...Object.keys(options.previous?.vars ?? {}), ...Object.keys(options.next?.vars ?? {})]);
  const script: ShellScript = { set: [], unset: [] };
  for (const key of [...keys].sort()) {
    const wanted = options.target[key];
    if (wanted === env[key]) continue;
    if (wanted === undefined) script.unset.push(key);
    else script.set.push({ key, value: wanted });
  }
  if (options.next !== undefined) {
    script.set.push({ key: STATE_VARIABLE, value: JSON.stringify(options.next) });
  } else if (env[STATE_VARIABLE] !== undefined) {
    script.unset.push(STATE_VARIABLE);
  }
  return script;
}

function splitOn(value: string | undefined, separator: string): string[] {
  if (value === undefined || value === "") return [];
  return separator === "" ? [value] : value.split(separator);
}

function definedOnly(env: Env): Env {
  return Object.fromEntries(Object.entries(env).filter((entry) => entry[1] !== undefined));
}
