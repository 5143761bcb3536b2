import { loadConfig, type Config } from "../config/load-config.ts";
import { resolveHome } from "../config/home.ts";
import { currentPlatform, RegistryClient } from "../oci/registry-client.ts";
import type { Reference } from "../oci/reference.ts";
import type { Platform } from "../oci/types.ts";
import type { Reporter } from "../report/reporter.ts";
import { StoreLayout } from "../store/layout.ts";
import { LocalIndex } from "../store/local-index.ts";
import { ObjectStore } from "../store/object-store.ts";
import { buildGraph, type PackageGraph } from "./build-graph.ts";
import { PackageResolver } from "./package-resolver.ts";
import { PatchResolver } from "./patch-resolver.ts";

export interface SessionOptions {
  env: Record<string, string | undefined>;
  cwd: string;
  reporter: Reporter;
  /** From `--offline`; `OCX_OFFLINE=1` and the config's `offline` also switch it on. */
  isOffline?: boolean;
  platform?: Platform;
  fetch?: typeof fetch;
  /** The project file to use instead of searching up from `cwd`; `null` means none. */
  projectFile?: string | null;
}

/** Everything one command needs: config, store, registry client and resolvers. */
export interface Session {
  home: string;
  config: Config;
  layout: StoreLayout;
  index: LocalIndex;
  objects: ObjectStore;
  client: RegistryClient;
  resolver: PackageResolver;
  patches: PatchResolver;
  isOffline: boolean;
  reporter: Reporter;
  graph(roots: Reference[], options?: { refresh?: boolean }): Promise<PackageGraph>;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/;

export async function openSession(options: SessionOptions): Promise<Session> {
  const home = resolveHome(options.env);
  const config = await loadConfig({
    home,
    cwd: options.cwd,
    env: options.env,
    ...(options.projectFile === undefined ? {} : { projectFile: options.projectFile }),
  });
  const isOffline = options.isOffline || isTruthy(options.env.OCX_OFFLINE) || config.offline;
  const layout = new StoreLayout(home);
  const index = new LocalIndex(layout);
  const objects = new ObjectStore(layout);
  const client = new RegistryClient({
    isInsecure: (registry) =>
      config.insecureRegistries.includes(registry) ||
      (LOOPBACK.test(registry) && !config.tlsRegistries.includes(registry)),
    reporter: options.reporter,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const platform = options.platform ?? currentPlatform();
  const resolver = new PackageResolver({
    layout,
    index,
    objects,
    client,
    platform,
    isOffline,
    reporter: options.reporter,
    ...(config.maxPackageBytes === undefined ? {} : { maxPackageBytes: config.maxPackageBytes }),
  });
  const patches = new PatchResolver({
    sources: config.patches,
    client,
    index,
    objects,
    layout,
    isOffline,
    reporter: options.reporter,
  });
  return {
    home,
    config,
    layout,
    index,
    objects,
    client,
    resolver,
    patches,
    isOffline,
    reporter: options.reporter,
    graph: (roots, graphOptions = {}) =>
      buildGraph(roots, { resolver, patches, reporter: options.reporter, ...graphOptions }),
  };
}

function isTruthy(value: string | undefined): boolean {
  return value !== undefined && value !== "" && value !== "0" && value.toLowerCase() !== "false";
}
