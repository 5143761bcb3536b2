export type EntryType = "constant" | "path" | "list";

/** One variable a package declares, with tokens already expanded. */
export interface EnvEntry {
  key: string;
  type: EntryType;
  value: string;
  /** Element separator for `path` and `list`; defaults to ":". */
  separator?: string;
}

export interface ComposeInput {
  id: string;
  role: "package" | "companion";
  /** Ids of the base packages a companion patches. */
  patches?: string[];
  entries: EnvEntry[];
}

/** One change to a variable: the input or plugin that made it, and the action. */
export interface Origin {
  id: string;
  role: "package" | "companion" | "plugin";
  action: "set" | "prepend" | "append" | "unset";
  /** The variable's value after this change; absent for `unset`. */
  value?: string;
  /** The value this change replaced or extended; absent when it was unset. */
  previous?: string;
}

/**
 * One variable that more than one package or companion set as a constant.
 * `info` is a companion overriding a package it patches, which is what
 * patches are for; `warn` is any other override.
 */
export interface Conflict {
  key: string;
  level: "info" | "warn";
  /** Every id involved, in walk order; the last one wins. */
  ids: string[];
  message: string;
}

export interface ComposeResult {
  /** The full environment: the caller's defined variables with the changes applied. */
  env: Record<string, string>;
  /** Keys whose value differs from the caller's, sorted. */
  changed: string[];
  /** Keys a plugin removed, sorted. */
  unset: string[];
  origins: Record<string, Origin[]>;
  conflicts: Conflict[];
}
