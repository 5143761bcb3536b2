import { dirname, isAbsolute, join } from "node:path";
import type { ConfigTier } from "./load-config.ts";
import { expandUserPath } from "./home.ts";
import type { MirrorConfig } from "./schema.ts";

import type { RegistryMirror } from "../oci/mirrors.ts";

export type MirrorSetting = RegistryMirror;

export interface NetworkSettings {
  retries: number;
  retryDelayMs: number;
  timeoutMs: number;
  stallTimeoutMs: number;
  parallelDownloads: number;
}

/** Settings of the registry client merged from every config tier. */
export interface RegistrySettings {
  /** Registry host -> CA bundle path, with the tier file that set it. */
  caFiles: Record<string, { path: string; file: string }>;
  mirrors: Record<string, MirrorSetting[]>;
  network: NetworkSettings;
}

export const DEFAULT_NETWORK: NetworkSettings = {
  retries: 3,
  retryDelayMs: 500,
  timeoutMs: 30_000,
  stallTimeoutMs: 30_000,
  parallelDownloads: 4,
};

/**
 * Merges `[registries."host"]`, `[mirrors]` and `[network]` from the tiers,
 * system first. A lower tier replaces a host's CA file, a registry's mirror
 * list or a network value. A relative `ca_file` starts at the folder of the
 * file that names it.
 */
export function mergeRegistrySettings(
  tiers: ConfigTier[],
  options: { env?: Record<string, string | undefined>; isMirrorsSystemOnly?: boolean } = {},
): RegistrySettings {
  const env = options.env ?? process.env;
  const caFiles: RegistrySettings["caFiles"] = {};
  const mirrors: RegistrySettings["mirrors"] = {};
  const network = { ...DEFAULT_NETWORK };

  for (const tier of tiers) {
    const { registries = {}, mirrors: tierMirrors = {} } = tier.config;
    for (const [host, value] of Object.entries(registries)) {
      if (host === "insecure" || host === "tls") continue;
      const caFile = (value as { ca_file?: string }).ca_file;
      if (caFile === undefined) continue;
      caFiles[host] = { path: resolveConfigPath(caFile, tier.file, env), file: tier.file };
    }
    // With an enforced patch source only the operator's tier may redirect pulls.
    const isMirrorTier = !options.isMirrorsSystemOnly || tier.name === "system";
    for (const [registry, list] of Object.entries(isMirrorTier ? tierMirrors : {})) {
      mirrors[registry] = list.map(toMirrorSetting);
    }
    const tierNetwork = tier.config.network ?? {};
    network.retries = tierNetwork.retries ?? network.retries;
    network.retryDelayMs = tierNetwork.retry_delay_ms ?? network.retryDelayMs;
    network.timeoutMs = tierNetwork.timeout_ms ?? network.timeoutMs;
    network.stallTimeoutMs = tierNetwork.stall_timeout_ms ?? network.stallTimeoutMs;
    network.parallelDownloads = tierNetwork.parallel_downloads ?? network.parallelDownloads;
  }
  return { caFiles, mirrors, network };
}

function toMirrorSetting(mirror: MirrorConfig): MirrorSetting {
  const host = typeof mirror === "string" ? mirror : mirror.host;
  const trimmed = host.replace(/^[a-z]+:\/\//i, "").replace(/\/+$/, "");
  const slash = trimmed.indexOf("/");
  return {
    registry: slash === -1 ? trimmed : trimmed.slice(0, slash),
    prefix: slash === -1 ? "" : trimmed.slice(slash + 1),
    serves: typeof mirror === "string" || mirror.serves === undefined ? ["tags", "digests"] : mirror.serves,
  };
}

function resolveConfigPath(path: string, configFile: string, env: Record<string, string | undefined>): string {
  if (path === "~" || path.startsWith("~/")) return expandUserPath(path, { name: "ca_file", env });
  return isAbsolute(path) ? path : join(dirname(configFile), path);
}
