import { ExitCode, OcxError } from "../error/index.ts";
import { tryParseReference, type Reference } from "../oci/reference.ts";
import { PATCH_CONFIG_INVALID } from "./errors.ts";
import { slugify } from "./slugify.ts";

export interface PatchRegistryConfig {
  /** Host and optional base repository, e.g. `corp.example/ocx-patches`. */
  registry: string;
  /** Template under the base; placeholders `{registry}` and `{repository}`. */
  path?: string;
}

export interface PatchRepository {
  registry: string;
  repository: string;
}

export const DEFAULT_PATCH_PATH = "{registry}/{repository}";

/** The tag a patch descriptor is published at in its patch repository. */
export const PATCH_TAG = "__ocx.patch";

/** The reserved repository whose descriptor applies to every package. */
export const GLOBAL_PATCH_REPOSITORY = "global";

const PLACEHOLDER = /\{([^{}]*)\}/g;

/**
 * Locates the patch repository of a package: the template `path` with
 * `{registry}` slugified and `{repository}` as is, appended to the base of
 * `config.registry`. For `corp.example/ocx-patches` and
 * `localhost:5000/tools/jq:1.7` the default gives registry `corp.example`,
 * repository `ocx-patches/localhost_5000/tools/jq`. The package registry is
 * lowercased before slugifying, because host names are case-insensitive but
 * repository names must be lowercase.
 */
export function patchRepositoryFor(
  config: PatchRegistryConfig,
  reference: Reference,
): PatchRepository {
  const base = splitPatchRegistry(config.registry);
  const template = config.path ?? DEFAULT_PATCH_PATH;
  const path = expandTemplate(template, {
    registry: slugify(reference.registry.toLowerCase()),
    repository: reference.repository,
  });
  return checkRepository(
    { registry: base.registry, repository: joinPath(base.path, path) },
    `path template "${template}"`,
  );
}

/** Locates the repository of the descriptor that applies to every package. */
export function globalPatchRepository(config: { registry: string }): PatchRepository {
  const base = splitPatchRegistry(config.registry);
  return checkRepository(
    { registry: base.registry, repository: joinPath(base.path, GLOBAL_PATCH_REPOSITORY) },
    `registry "${config.registry}"`,
  );
}

function splitPatchRegistry(value: string): { registry: string; path: string } {
  const text = value.trim().replace(/\/+$/, "");
  const slash = text.indexOf("/");
  const registry = slash === -1 ? text : text.slice(0, slash);
  if (registry === "") {
    throw configError(`invalid patch registry "${value}": the registry host is empty`);
  }
  return { registry, path: slash === -1 ? "" : text.slice(slash + 1) };
}

function expandTemplate(template: string, values: Record<string, string>): string {
  const expanded = template.replace(PLACEHOLDER, (placeholder, name: string) => {
    const value = values[name];
    if (value === undefined) {
      throw configError(
        `invalid patch path template "${template}": unknown placeholder ${placeholder}`,
      );
    }
    return value;
  });
  if (expanded.includes("{") || expanded.includes("}")) {
    throw configError(`invalid patch path template "${template}": unbalanced brace`);
  }
  return expanded;
}

function joinPath(base: string, path: string): string {
  return base === "" ? path : `${base}/${path}`;
}

/** Rejects a result that is no valid repository, e.g. from `//` in a template. */
function checkRepository(result: PatchRepository, origin: string): PatchRepository {
  const parsed = tryParseReference(`${result.registry}/${result.repository}:x`);
  if (!parsed.ok) {
    throw configError(
      `invalid patch repository "${result.registry}/${result.repository}" from ${origin}: ${parsed.reason}`,
    );
  }
  return result;
}

function configError(message: string): OcxError {
  return new OcxError(PATCH_CONFIG_INVALID, message, {
    hint: 'fix [patches] in config.toml: registry = "host/base", path may use only {registry} and {repository}',
    exitCode: ExitCode.dataError,
  });
}
