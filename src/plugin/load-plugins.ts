import { readdir } from "node:fs/promises";
import { realpathSync } from "node:fs";
import { extname, join, sep } from "node:path";
import * as v from "valibot";
import { ExitCode, OcxError } from "../error/index.ts";
import { builtinPlugins } from "../../plugins/index.ts";
import * as api from "./api.ts";
import { isolatePluginOutput } from "./isolation.ts";
import { PLUGIN_INVALID, PLUGIN_LOAD_FAILED, PLUGIN_NOT_ALLOWED } from "./errors.ts";
import type { LoadedPlugin } from "./plugin-host.ts";

const PLUGIN_EXTENSIONS = new Set([".ts", ".js", ".mjs", ".mts"]);

const PluginShapeSchema = v.looseObject({
  name: v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9._-]*$/, "a lowercase name of letters, digits, . _ -")),
  apiVersion: v.number(),
  patchSources: v.optional(v.array(v.looseObject({ name: v.string(), companions: v.function() }))),
  edges: v.optional(v.function()),
  transformEnv: v.optional(v.function()),
  rewriteReference: v.optional(v.function()),
  requestHeaders: v.optional(v.function()),
});

export interface LoadPluginsOptions {
  home: string;
  /** Files or folders from `[plugins] paths`, already absolute. */
  paths: string[];
  /**
   * Absolute files or folders that plugins may load from, besides the
   * built-in ones; undefined allows all. Checked on the path before the
   * file is imported, because importing runs the plugin's code.
   */
  allow: string[] | undefined;
}

/**
 * Loads the built-in plugins, then `$OCX_HOME/plugins/`, then the config's
 * paths, each folder in name order, so the hook order never depends on the
 * file system.
 */
export async function loadPlugins(options: LoadPluginsOptions): Promise<LoadedPlugin[]> {
  const loaded: LoadedPlugin[] = builtinPlugins.map((plugin) => ({ plugin, origin: "builtin" }));
  const files = [
    ...(await pluginFiles(join(options.home, "plugins"), { isOptional: true })),
    ...(await expandPaths(options.paths)),
  ];
  if (files.length === 0) return loaded;

  // Every file is checked before any is imported: importing runs its code.
  for (const file of files) {
    if (options.allow !== undefined && !isAllowed(file, options.allow)) {
      throw new OcxError(PLUGIN_NOT_ALLOWED, `plugin file "${file}" is not allowed by the system config`, {
        hint: "remove the plugin, or ask the operator to add its file or folder to [plugins] allow in the system config",
        exitCode: ExitCode.usage,
      });
    }
  }
  registerApiModule();
  isolatePluginOutput();
  for (const file of files) {
    const plugin = await importPlugin(file);
    if (loaded.some((known) => known.plugin.name === plugin.name)) {
      throw invalid(file, `a plugin named "${plugin.name}" is already loaded`);
    }
    loaded.push({ plugin, origin: file });
  }
  return loaded;
}

/** True when `file` is one of the allowed paths or lies inside an allowed folder. */
function isAllowed(file: string, allow: string[]): boolean {
  const real = realpathOrSelf(file);
  return allow.some((entry) => {
    const allowed = realpathOrSelf(entry);
    return real === allowed || real.startsWith(allowed.endsWith(sep) ? allowed : `${allowed}${sep}`);
  });
}

// Symlinks are resolved so a link inside an allowed folder cannot point elsewhere.
function realpathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

let isApiRegistered = false;

/** Serves `ocx/plugin` to plugin files: the compiled binary has no node_modules. */
function registerApiModule(): void {
  if (isApiRegistered) return;
  isApiRegistered = true;
  Bun.plugin({
    name: "ocx-plugin-api",
    setup(build) {
      build.module("ocx/plugin", () => ({ exports: { ...api }, loader: "object" }));
    },
  });
}

async function importPlugin(file: string): Promise<api.OcxPlugin> {
  let module: { default?: unknown };
  try {
    module = await import(file);
  } catch (error) {
    throw new OcxError(PLUGIN_LOAD_FAILED, `cannot load plugin "${file}": ${(error as Error)?.message ?? String(error)}`, {
      hint: "check the file for syntax errors; it must import from \"ocx/plugin\" and default-export definePlugin({...})",
      cause: error,
      exitCode: ExitCode.dataError,
    });
  }
  const parsed = v.safeParse(PluginShapeSchema, module.default);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    throw invalid(file, `${v.getDotPath(issue) ?? "default export"}: ${issue.message}`);
  }
  if (parsed.output.apiVersion !== api.PLUGIN_API_VERSION) {
    throw invalid(file, `it needs plugin API version ${parsed.output.apiVersion}, and this ocx provides ${api.PLUGIN_API_VERSION}`);
  }
  return module.default as api.OcxPlugin;
}

async function expandPaths(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    if (PLUGIN_EXTENSIONS.has(extname(path))) files.push(path);
    else files.push(...(await pluginFiles(path, { isOptional: false })));
  }
  return files;
}

async function pluginFiles(folder: string, options: { isOptional: boolean }): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (options.isOptional && code === "ENOENT") return [];
    throw new OcxError(PLUGIN_LOAD_FAILED, `cannot read plugin folder "${folder}": ${(error as Error).message}`, {
      hint: "fix [plugins] paths in the config",
      exitCode: ExitCode.usage,
    });
  }
  return names
    .filter((name) => PLUGIN_EXTENSIONS.has(extname(name)) && !name.endsWith(".d.ts") && !/\.test\.[mc]?[jt]s$/.test(name))
    .sort()
    .map((name) => join(folder, name));
}

function invalid(file: string, detail: string): OcxError {
  return new OcxError(PLUGIN_INVALID, `invalid plugin "${file}": ${detail}`, {
    hint: "a plugin default-exports definePlugin({ name, apiVersion: 1, ...hooks }) from \"ocx/plugin\"",
    exitCode: ExitCode.dataError,
  });
}
