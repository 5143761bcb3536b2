import { loadConfig, type Config } from "../config/load-config.ts";
import { resolveHome } from "../config/home.ts";
import { TrustStore } from "../config/trust.ts";
import type { ComposeResult } from "../env/types.ts";
import { readDockerCredentials, type Credentials } from "../oci/docker-config.ts";
import { mapBounded } from "../oci/limiter.ts";
import { currentPlatform, RegistryClient } from "../oci/registry-client.ts";
import { createTlsTrust } from "../oci/tls-trust.ts";
import { parseReference, type Reference } from "../oci/reference.ts";
import type { Platform } from "../oci/types.ts";
import type { PluginContext } from "../plugin/api.ts";
import { loadPlugins } from "../plugin/load-plugins.ts";
import { PluginHost, type LoadedPlugin } from "../plugin/plugin-host.ts";
import { log, type Reporter } from "../report/reporter.ts";
import { StoreLayout } from "../store/layout.ts";
import { LocalIndex } from "../store/local-index.ts";
import { ObjectStore } from "../store/object-store.ts";
import { RefStore } from "../store/refs.ts";
import { StoreUsers } from "../store/store-users.ts";
import { sweepTemporaries } from "../store/sweep.ts";
import { ArtifactStore } from "./artifact-store.ts";
import { buildGraph, type PackageGraph } from "./build-graph.ts";
import { composeGraphEnv } from "./compose-graph-env.ts";
import { PackageResolver } from "./package-resolver.ts";
import { graphDigests, recordGraph } from "./record-graph.ts";

export interface SessionOptions {
  env: Record<string, string | undefined>;
  cwd: string;
  reporter: Reporter;
  /** From `--offline`; `OCX_OFFLINE=1` and the config's `offline` also switch it on. */
  isOffline?: boolean;
  /** Commands that sync with registries (install, index update) set this. */
  isRefreshing?: boolean;
  platform?: Platform;
  fetch?: typeof fetch;
  /** Plugins added after the loaded ones, e.g. the descriptor `ocx patch test` tries. */
  extraPlugins?: LoadedPlugin[];
  /** Patch repositories (`registry/repository`) whose published descriptor is ignored, for `ocx patch test --replace`. */
  ignoredPatchRepositories?: string[];
  /** The project file to use instead of searching up from `cwd`; `null` means none. */
  projectFile?: string | null;
}

/** Everything one command needs: config, store, registry client, plugins, resolver. */
export interface Session {
  home: string;
  config: Config;
  layout: StoreLayout;
  index: LocalIndex;
  objects: ObjectStore;
  client: RegistryClient;
  resolver: PackageResolver;
  plugins: PluginHost;
  /** Single-layer artifacts (patch descriptors) through the local index. */
  artifacts: ArtifactStore;
  refs: RefStore;
  /** The shared/exclusive lock over the home that keeps `ocx clean` safe. */
  users: StoreUsers;
  isOffline: boolean;
  reporter: Reporter;
  /** Plans the graph of the roots: nothing is installed yet. */
  plan(roots: Reference[], options?: { refresh?: boolean }): Promise<PackageGraph>;
  /**
   * Installs every planned package that is missing, several at once
   * (`[network] parallel_downloads`). Returns per node id whether this run
   * installed it, and how long that took.
   */
  install(graph: PackageGraph): Promise<Map<string, { isNew: boolean; ms: number }>>;
  /** Makes the client use these credentials for `registry` (login checks them first). */
  useCredentials(registry: string, credentials: Credentials): void;
  /** Composes the graph's environment over `base`, then applies plugin transforms. */
  compose(graph: PackageGraph, base: Record<string, string | undefined>): Promise<ComposeResult>;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/i;
const DEFAULT_PLUGIN_TIMEOUT_MS = 10_000;

export async function openSession(options: SessionOptions): Promise<Session> {
  const home = resolveHome(options.env);
  const config = await loadConfig({
    home,
    cwd: options.cwd,
    env: options.env,
    trust: new TrustStore(home),
    ...(options.projectFile === undefined ? {} : { projectFile: options.projectFile }),
  });
  if (config.untrustedProject !== undefined) {
    log(options.reporter, "warn", `ignoring untrusted project file "${config.untrustedProject}": run \`ocx trust\` to use it`);
  }
  for (const file of config.ignoredMirrors ?? []) {
    log(options.reporter, "warn", `ignoring [mirrors] and [plugin.mirror] in "${file}": with enforced patches only the system config may set mirrors`);
  }
  const isOffline = options.isOffline || isTruthy(options.env.OCX_OFFLINE) || config.offline;
  const { reporter } = options;
  const layout = new StoreLayout(home);
  const index = new LocalIndex(layout);
  const objects = new ObjectStore(layout);

  // The client asks the plugins for headers, and plugins read artifacts through
  // the client, so the host is bound after both exist.
  let plugins: PluginHost | undefined;
  const { network, mirrors, caFiles } = config.registry;
  const overrides = new Map<string, Credentials>();
  const client = new RegistryClient({
    isInsecure: (registry) =>
      config.insecureRegistries.includes(registry) ||
      (LOOPBACK.test(registry) && !config.tlsRegistries.includes(registry)),
    requestHeaders: async (host) => plugins?.requestHeaders(host),
    tls: createTlsTrust({ caFiles, env: options.env }),
    mirrors: (registry) => mirrors[registry] ?? [],
    retry: { retries: network.retries, delayMs: network.retryDelayMs },
    timeoutMs: network.timeoutMs,
    stallTimeoutMs: network.stallTimeoutMs,
    parallelDownloads: network.parallelDownloads,
    credentials: async (registry) =>
      overrides.get(registry) ?? readDockerCredentials(registry, { env: options.env, reporter }),
    reporter,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const artifacts = new ArtifactStore({ client, index, objects, layout, isOffline, reporter });
  const context: PluginContext = {
    config: Object.freeze({
      ...config.merged,
      patches: config.patches,
      "no-patches": config.noPatches,
      "patch-snapshot": config.patchSnapshot,
      "ignored-patch-repositories": options.ignoredPatchRepositories ?? [],
    }),
    isOffline,
    isRefreshing: options.isRefreshing === true,
    log: {
      info: (message) => log(reporter, "info", message),
      warn: (message) => log(reporter, "warn", message),
      debug: (message) => log(reporter, "debug", message),
    },
    readArtifact: (reference, readOptions) => artifacts.read(parseReference(reference), readOptions),
  };
  const loaded = [
    ...(await loadPlugins({ home, paths: config.pluginPaths, allow: config.pluginAllow })),
    ...(options.extraPlugins ?? []),
  ];
  plugins = new PluginHost(loaded, { context, timeoutMs: config.pluginTimeoutMs ?? DEFAULT_PLUGIN_TIMEOUT_MS });
  const host = plugins;

  const resolver = new PackageResolver({
    layout,
    index,
    objects,
    client,
    platform: options.platform ?? currentPlatform(),
    isOffline,
    reporter,
    candidates: (reference) => host.referenceCandidates(reference),
    ...(config.maxPackageBytes === undefined ? {} : { maxPackageBytes: config.maxPackageBytes }),
  });
  const refs = new RefStore(layout);
  const users = new StoreUsers(layout);
  const plan = async (roots: Reference[], planOptions: { refresh?: boolean } = {}) => {
    // Registered before reading the store, so a concurrent `ocx clean` waits.
    await users.enterShared();
    // Commands that sync also tidy what killed processes left behind.
    if (planOptions.refresh) await sweepTemporaries(layout).catch(() => []);
    return buildGraph(roots, { resolver, plugins: host, reporter, ...planOptions });
  };
  const install = async (graph: PackageGraph) => {
    try {
      const results = await installInParallel(graph, resolver, network.parallelDownloads);
      await recordGraph(graph, { resolver, refs, reporter });
      return results;
    } finally {
      await users.pin(graphDigests(graph));
    }
  };
  return {
    home,
    config,
    layout,
    index,
    objects,
    client,
    resolver,
    plugins: host,
    artifacts,
    refs,
    users,
    isOffline,
    reporter,
    plan,
    install,
    useCredentials: (registry, credentials) => void overrides.set(registry, credentials),
    compose: async (graph, base) => host.transformEnv(composeGraphEnv(graph, base)),
  };
}

/**
 * Installs the planned packages, `limit` at once. Objects are
 * content-addressed and independent, so the order of installs does not
 * matter; the client bounds the blob downloads. Two tags naming one digest
 * wait for each other, so it downloads once.
 */
async function installInParallel(graph: PackageGraph, resolver: PackageResolver, limit: number) {
  const byDigest = new Map<string, Promise<unknown>>();
  const results = await mapBounded(graph.order, limit, (id) => {
    const planned = graph.nodes.get(id)!.package;
    const previous = byDigest.get(planned.digest) ?? Promise.resolve();
    const current = previous.catch(() => {}).then(() => resolver.install(planned));
    byDigest.set(planned.digest, current);
    return current;
  });
  return new Map(graph.order.map((id, position) => [id, results[position]!]));
}

function isTruthy(value: string | undefined): boolean {
  return value !== undefined && value !== "" && value !== "0" && value.toLowerCase() !== "false";
}
