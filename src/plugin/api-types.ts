// The types of the public plugin API, version 1. This file contains
// types only: the binary also embeds its text as the declaration file that
// \`ocx plugin new\` writes for plugin authors.

type Awaitable<T> = T | Promise<T>;

/** A resolved package, as patch sources see it. */
export interface PackageInfo {
  /** `registry/repository:tag` (or `@digest` when untagged). */
  reference: string;
  registry: string;
  repository: string;
  tag: string | undefined;
  /** The platform manifest digest. */
  digest: string;
}

/** A companion with details; a plain reference string means required, no rule name. */
export interface CompanionSpec {
  reference: string;
  /** `false` turns a failure to install the companion into a warning. Default `true`. */
  required?: boolean;
  /** Shown in `ocx deps` and errors, e.g. the matching rule of a descriptor. */
  rule?: string;
}

/**
 * Adds companion packages to resolved packages. The core installs them like
 * any package and applies them after the package they patch.
 *
 * ```ts
 * { name: "java-truststore", companions: (pkg) => pkg.repository === "java" ? ["corp.example/truststore:1"] : [] }
 * ```
 */
export interface PatchSource {
  name: string;
  companions(pkg: PackageInfo, context: PluginContext): Awaitable<(string | CompanionSpec)[] | undefined>;
}

/** A node of the package graph, as edge hooks see it. */
export interface GraphNodeInfo {
  id: string;
  isCompanion: boolean;
  isRoot: boolean;
}

/** Orders `before` ahead of `after`; both must already be graph nodes, others are ignored. */
export interface EdgeSpec {
  before: string;
  after: string;
}

/** The outcome of reading an artifact tag through the local index. */
export type ArtifactState =
  | { state: "absent" }
  | { state: "present"; digest: string; bytes: Uint8Array }
  | { state: "unavailable"; reason: string };

/** The services the core passes to every hook. */
export interface PluginContext {
  /** The merged config tiers as plain data (tables merged key by key, lower tiers win). */
  config: Readonly<Record<string, unknown>>;
  /** True under `--offline` or `OCX_OFFLINE=1`: make no network request. */
  isOffline: boolean;
  /** True in commands that sync with registries (`install`, `index update`): skip caches. */
  isRefreshing: boolean;
  log: {
    info(message: string): void;
    warn(message: string): void;
    debug(message: string): void;
  };
  /**
   * Reads a single-layer artifact (such as a patch descriptor) at a tag
   * through the local index: a synced artifact comes from the store, a
   * never-synced one is fetched when online and recorded, a tag the registry
   * does not have is recorded as absent. `refresh` asks the registry again.
   */
  readArtifact(
    reference: string,
    options: { layerMediaType: string; refresh?: boolean },
  ): Promise<ArtifactState>;
}

/** A plugin definition: a name, the API version and any hooks. */
export interface OcxPlugin {
  name: string;
  apiVersion: 1;
  patchSources?: PatchSource[];
  /** Extra ordering between graph nodes, fed into the same Kahn sort. */
  edges?(nodes: GraphNodeInfo[], context: PluginContext): Awaitable<EdgeSpec[] | undefined>;
  /** Changes to the composed environment: a string sets, `undefined` unsets. */
  transformEnv?(
    env: Readonly<Record<string, string>>,
    context: PluginContext,
  ): Awaitable<Record<string, string | undefined> | undefined>;
  /**
   * Rewrites where a reference is pulled from: one reference, or several to
   * try in order. The original is always tried last, and the package keeps
   * its original name in the store.
   */
  rewriteReference?(reference: string, context: PluginContext): Awaitable<string | string[] | undefined>;
  /** Extra request headers for a registry host (`host[:port]`). */
  requestHeaders?(host: string, context: PluginContext): Awaitable<Record<string, string> | undefined>;
}
