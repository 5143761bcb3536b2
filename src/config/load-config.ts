import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { existsSync } from "node:fs";
import * as v from "valibot";
import { parse, TomlError } from "smol-toml";
import { findGlobProblem } from "../patch/glob.ts";
import { configInvalid } from "./errors.ts";
import type { TrustStore } from "./trust.ts";
import { mergeRegistrySettings, type RegistrySettings } from "./registry-settings.ts";
import { ConfigFileSchema, ProjectFileSchema, type ConfigFile, type PatchesConfig } from "./schema.ts";
import { checkProjectReferences, projectOf, type Project } from "./project.ts";

export type TierName = "system" | "user" | "project";

export interface ConfigTier {
  name: TierName;
  file: string;
  config: ConfigFile;
}

/** A patch registry setting and the tier that declared it. */
export interface PatchSourceConfig extends PatchesConfig {
  tier: TierName;
  required: boolean;
  /** Set by the system tier only: no opt-out applies to this source. */
  enforced: boolean;
}

export interface Config {
  tiers: ConfigTier[];
  /** Patch registries from every tier, system first. Lower tiers add; they never replace. */
  patches: PatchSourceConfig[];
  insecureRegistries: string[];
  tlsRegistries: string[];
  maxPackageBytes: number | undefined;
  offline: boolean;
  /** CA files per host, mirrors and network tuning. */
  registry: RegistrySettings;
  /** The project file's tools and constants, when an `ocx.toml` was found. */
  project: Project | undefined;
  /** Plugin files named by `[plugins] paths`, resolved against their config file. */
  pluginPaths: string[];
  /** `[plugins] allow` of the system tier; undefined when unrestricted. */
  pluginAllow: string[] | undefined;
  pluginTimeoutMs: number | undefined;
  /** Every tier's tables merged key by key (lower tiers win), for plugins. */
  merged: Record<string, unknown>;
  /** `no-patches` globs of every tier, then those of OCX_NO_PATCHES. */
  noPatches: string[];
  /** The `patch-snapshot` file of the lowest tier naming one, resolved against it. */
  patchSnapshot: { file: string; tier: TierName } | undefined;
  /** Files whose `[mirrors]` were dropped because an enforced patch source is configured. */
  ignoredMirrors?: string[];
  /** OCX_SYSTEM_CONFIG when it was ignored because the host has a system config. */
  ignoredSystemOverride?: string;
  /** A project file that was found but skipped because it is not trusted. */
  untrustedProject?: string | undefined;
}

/** Comma-separated `no-patches` globs that `ocx exec` passes to its child. */
export const NO_PATCHES_ENV = "OCX_NO_PATCHES";

export const DEFAULT_SYSTEM_CONFIG = "/etc/ocx/config.toml";
export const PROJECT_CONFIG_NAME = "ocx.toml";

export interface LoadConfigOptions {
  home: string;
  cwd: string;
  env: Record<string, string | undefined>;
  /** The managed host's system config; tests replace it. */
  defaultSystemConfig?: string;
  /** The project file to use instead of searching up from `cwd`; `null` means none. */
  projectFile?: string | null;
  /** When given, a project file is used only if trusted in its current content. */
  trust?: TrustStore;
}

/**
 * Reads the system, user and project tiers and merges them. Any invalid
 * tier fails the whole load, so ocx never runs on silently dropped settings.
 */
export async function loadConfig(options: LoadConfigOptions): Promise<Config> {
  const system = systemConfigFile(options);
  const candidates: { name: TierName; file: string | undefined }[] = [
    { name: "system", file: system.file },
    { name: "user", file: join(options.home, "config.toml") },
    { name: "project", file: options.projectFile === undefined ? findProjectFile(options.cwd) : (options.projectFile ?? undefined) },
  ];
  const tiers: ConfigTier[] = [];
  let untrustedProject: string | undefined;
  for (const candidate of candidates) {
    if (candidate.file === undefined) continue;
    if (candidate.name === "project" && options.trust !== undefined && !(await isTrusted(options.trust, candidate.file))) {
      untrustedProject = candidate.file;
      continue;
    }
    const config = await readTier(candidate.file, candidate.name);
    if (config !== undefined) tiers.push({ name: candidate.name, file: candidate.file, config });
  }
  const merged = mergeTiers(tiers, { noPatchesEnv: options.env[NO_PATCHES_ENV] });
  return {
    ...merged,
    untrustedProject,
    ...(system.ignored === undefined ? {} : { ignoredSystemOverride: system.ignored }),
  };
}

async function isTrusted(trust: TrustStore, file: string): Promise<boolean> {
  let content: Uint8Array;
  try {
    content = await readFile(file);
  } catch {
    return true;
  }
  return trust.isTrusted(file, content);
}

/**
 * OCX_SYSTEM_CONFIG is honoured only when the managed path does not exist:
 * on a host whose operator wrote /etc/ocx/config.toml, a user must not
 * escape enforced patches by pointing the variable at an empty file. Hosts
 * without a system config (CI, developer machines) can still use it.
 */
export function systemConfigFile(options: LoadConfigOptions): { file: string; ignored?: string } {
  const managed = options.defaultSystemConfig ?? DEFAULT_SYSTEM_CONFIG;
  const override = options.env.OCX_SYSTEM_CONFIG;
  if (!override) return { file: managed };
  if (existsSync(managed)) return { file: managed, ...(override === managed ? {} : { ignored: override }) };
  return { file: override };
}

/** Splits OCX_NO_PATCHES; invalid globs fail like an invalid config. */
function parseNoPatchesEnv(value: string | undefined): string[] {
  const patterns = (value ?? "").split(",").map((item) => item.trim()).filter((item) => item !== "");
  for (const pattern of patterns) {
    const problem = findGlobProblem(pattern);
    if (problem !== undefined) throw configInvalid(NO_PATCHES_ENV, { reason: `invalid pattern "${pattern}": ${problem}` });
  }
  return patterns;
}

export function mergeTiers(tiers: ConfigTier[], options: { noPatchesEnv?: string } = {}): Config {
  const patches: PatchSourceConfig[] = [];
  const insecure = new Set<string>();
  const tls = new Set<string>();
  let maxPackageBytes: number | undefined;
  let offline = false;
  const pluginPaths: string[] = [];
  let pluginAllow: string[] | undefined;
  let pluginTimeoutMs: number | undefined;
  let merged: Record<string, unknown> = {};
  const noPatches: string[] = [];
  let patchSnapshot: Config["patchSnapshot"];

  for (const tier of tiers) {
    const { config } = tier;
    if (config.patches) {
      if (config.patches.enforced !== undefined && tier.name !== "system") {
        throw configInvalid(tier.file, { key: "patches.enforced", reason: "may only be set in the system config" });
      }
      const entry = {
        ...config.patches,
        tier: tier.name,
        required: config.patches.required ?? true,
        enforced: config.patches.enforced === true,
      };
      const isDuplicate = patches.some(
        (known) => known.registry === entry.registry && (known.path ?? "") === (entry.path ?? ""),
      );
      if (!isDuplicate) patches.push(entry);
    }
    for (const host of config.registries?.insecure ?? []) insecure.add(host);
    for (const host of config.registries?.tls ?? []) tls.add(host);
    maxPackageBytes = config.limits?.max_package_bytes ?? maxPackageBytes;
    offline = config.offline ?? offline;
    // Trust covers the bytes of ocx.toml only, not the plugin files it would
    // name, so plugins come from the system and user tiers alone.
    if (tier.name === "project" && config.plugins !== undefined) {
      throw configInvalid(tier.file, { key: "plugins", reason: "may only be set in the system or user config" });
    }
    for (const path of config.plugins?.paths ?? []) pluginPaths.push(resolve(dirname(tier.file), path));
    if (config.plugins?.allow !== undefined) {
      if (tier.name !== "system") {
        throw configInvalid(tier.file, { key: "plugins.allow", reason: "may only be set in the system config" });
      }
      pluginAllow = config.plugins.allow.map((path) => resolve(dirname(tier.file), path));
    }
    pluginTimeoutMs = config.plugins?.timeout_ms ?? pluginTimeoutMs;
    noPatches.push(...(config["no-patches"] ?? []));
    const snapshot = config["patch-snapshot"];
    if (snapshot !== undefined) patchSnapshot = { file: resolve(dirname(tier.file), snapshot), tier: tier.name };
    merged = mergeTables(merged, config as Record<string, unknown>);
  }
  const ignoredMirrors = lockMirrors(tiers, patches, merged);
  return {
    tiers,
    patches,
    insecureRegistries: [...insecure],
    tlsRegistries: [...tls],
    maxPackageBytes,
    offline,
    registry: mergeRegistrySettings(tiers, { isMirrorsSystemOnly: patches.some((source) => source.enforced) }),
    project: projectOf(tiers.find((tier) => tier.name === "project")),
    pluginPaths,
    pluginAllow,
    pluginTimeoutMs,
    merged,
    noPatches: [...new Set([...noPatches, ...parseNoPatchesEnv(options.noPatchesEnv)])],
    ...(ignoredMirrors.length === 0 ? {} : { ignoredMirrors }),
    patchSnapshot,
  };
}

/**
 * With an enforced patch source, only the system tier's `[mirrors]` apply:
 * a user mirror for the companions' registry would redirect enforced
 * companions to content the operator never chose. Returns the files whose
 * mirrors were dropped.
 */
function lockMirrors(tiers: ConfigTier[], patches: PatchSourceConfig[], merged: Record<string, unknown>): string[] {
  if (!patches.some((source) => source.enforced)) return [];
  // The built-in mirror plugin's [plugin.mirror] redirects pulls just as well.
  const setsMirrors = (tier: ConfigTier) => tier.config.mirrors !== undefined || tier.config.plugin?.mirror !== undefined;
  const ignored = tiers.filter((tier) => tier.name !== "system" && setsMirrors(tier)).map((tier) => tier.file);
  const system = tiers.find((tier) => tier.name === "system")?.config;
  if (system?.mirrors === undefined) delete merged.mirrors;
  else merged.mirrors = system.mirrors;
  const pluginSettings = { ...(merged.plugin as Record<string, unknown> | undefined) };
  if (system?.plugin?.mirror === undefined) delete pluginSettings.mirror;
  else pluginSettings.mirror = system.plugin.mirror;
  merged.plugin = pluginSettings;
  return ignored;
}

function mergeTables(base: Record<string, unknown>, next: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(next)) {
    const previous = result[key];
    const isTable = (item: unknown): item is Record<string, unknown> =>
      typeof item === "object" && item !== null && !Array.isArray(item);
    result[key] = isTable(previous) && isTable(value) ? mergeTables(previous, value) : value;
  }
  return result;
}

/** Walks up from `cwd` to the first folder holding `ocx.toml`. */
export function findProjectFile(cwd: string): string | undefined {
  let folder = cwd;
  for (;;) {
    const candidate = join(folder, PROJECT_CONFIG_NAME);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(folder);
    if (parent === folder) return undefined;
    folder = parent;
  }
}

async function readTier(file: string, tier: TierName): Promise<ConfigFile | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw configInvalid(file, { reason: `cannot be read: ${(error as Error).message}` });
  }
  return parseConfigText(text, file, tier === "project" ? ProjectFileSchema : ConfigFileSchema);
}

/**
 * Parses and validates one tier's TOML text; errors name the file, line and
 * key. The project tier passes `ProjectFileSchema`, which adds `[tools]`
 * and `[env]`.
 */
export function parseConfigText(
  text: string,
  file: string,
  schema: typeof ConfigFileSchema | typeof ProjectFileSchema = ConfigFileSchema,
): ConfigFile {
  let data: unknown;
  try {
    data = parse(text);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const line = error.line;
    const reason = error.message.split("\n")[0]!.replace(/^Invalid TOML document: /, "");
    throw configInvalid(file, { line, key: keyOnLine(text, line), reason });
  }

  const result = v.safeParse(schema, data);
  if (result.success) {
    if (schema === ProjectFileSchema) {
      checkProjectReferences(result.output, { file, lineOf: (path) => lineOfKey(text, path) });
    }
    return result.output;
  }
  // An unknown key is usually a typo that also causes a "missing key" issue: report it first.
  const issue = result.issues.find((candidate) => candidate.expected === "never") ?? result.issues[0];
  const path = v.getDotPath(issue) ?? "";
  const key = path.split(".").at(-1) || undefined;
  throw configInvalid(file, {
    line: path ? lineOfKey(text, path) : undefined,
    key: path || key,
    reason: describeIssue(issue),
  });
}

function describeIssue(issue: v.BaseIssue<unknown>): string {
  if (issue.expected === "never") return "is not a known setting";
  if (issue.type === "regex" || issue.type === "check") return `expected ${issue.message}, got ${issue.received}`;
  return `expected ${issue.expected ?? "a valid value"}, got ${issue.received}`;
}

/** The key a TOML line defines: `a = 1` gives `a`, `[a.b]` gives `a.b`. */
function keyOnLine(text: string, line: number): string | undefined {
  const source = text.split("\n")[line - 1]?.trim() ?? "";
  const table = /^\[+\s*([^\]]+?)\s*\]+/.exec(source);
  if (table) return table[1];
  const assignment = /^([A-Za-z0-9_."'-]+?)\s*=/.exec(source);
  return assignment?.[1]?.split(".").at(-1);
}

/**
 * Finds the line that sets a dotted key path, whether written as `[a]`
 * then `b = ...`, or as `a.b = ...`. smol-toml keeps no positions, so this
 * scans the text; it is only used to point at an error.
 */
function lineOfKey(text: string, dottedPath: string): number | undefined {
  const parts = dottedPath.split(".").filter((part) => !/^\d+$/.test(part));
  const lines = text.split("\n");
  let table: string[] = [];
  for (let index = 0; index < lines.length; index++) {
    const source = lines[index]!.trim();
    const header = /^\[+\s*([^\]]+?)\s*\]+/.exec(source);
    if (header) {
      table = header[1]!.split(".").map(unquoteKey);
      if (table.join(".") === parts.join(".")) return index + 1;
      continue;
    }
    const assignment = /^([A-Za-z0-9_. "'-]+?)\s*=/.exec(source);
    if (!assignment) continue;
    const keyPath = [...table, ...assignment[1]!.split(".").map(unquoteKey)];
    if (keyPath.join(".") === parts.join(".")) return index + 1;
    if (keyPath.join(".").startsWith(parts.join(".") + ".")) return index + 1;
  }
  return undefined;
}

function unquoteKey(part: string): string {
  return part.trim().replace(/^(["'])(.*)\1$/, "$2");
}
