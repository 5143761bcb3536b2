import { NO_PATCHES_ENV, type Config, type TierName } from "./load-config.ts";

/** One setting as `ocx config show` reports it. */
export interface ConfigValue {
  /** Dotted key, e.g. `registries.insecure`. */
  key: string;
  value: unknown;
  tier: TierName | "env";
  file: string;
  /** True when a lower tier replaced this value. */
  isOverridden: boolean;
}

export interface ConfigDescription {
  tiers: { name: TierName; file: string }[];
  /** OCX_SYSTEM_CONFIG, when ignored because the host has a managed system config. */
  ignoredSystemOverride?: string;
  /** A project file that was found but skipped because it is not trusted. */
  untrustedProject?: string;
  /** Files whose `[mirrors]` are ignored because an enforced patch source is configured. */
  ignoredMirrors?: string[];
  patches: { registry: string; path?: string; required: boolean; enforced: boolean; tier: TierName; file: string }[];
  values: ConfigValue[];
}

// Lists that every tier adds to; any other key is replaced by a lower tier.
const ADDITIVE = new Set(["registries.insecure", "registries.tls", "plugins.paths", "no-patches"]);

/** Lists every setting of every tier with its tier and file, and marks the merge outcome. */
export function describeConfig(config: Config, env: Record<string, string | undefined>): ConfigDescription {
  const values: ConfigValue[] = [];
  for (const tier of config.tiers) {
    const { patches: _patches, ...rest } = tier.config;
    for (const [key, value] of flatten(rest, "")) {
      if (!ADDITIVE.has(key)) {
        for (const earlier of values) if (earlier.key === key) earlier.isOverridden = true;
      }
      values.push({ key, value, tier: tier.name, file: tier.file, isOverridden: false });
    }
  }
  if (env[NO_PATCHES_ENV]) {
    values.push({ key: "no-patches", value: env[NO_PATCHES_ENV]!.split(","), tier: "env", file: NO_PATCHES_ENV, isOverridden: false });
  }
  const fileOf = (tier: TierName) => config.tiers.find((candidate) => candidate.name === tier)?.file ?? "";
  return {
    tiers: config.tiers.map((tier) => ({ name: tier.name, file: tier.file })),
    ...(config.ignoredSystemOverride === undefined ? {} : { ignoredSystemOverride: config.ignoredSystemOverride }),
    ...(config.untrustedProject === undefined ? {} : { untrustedProject: config.untrustedProject }),
    ...(config.ignoredMirrors === undefined ? {} : { ignoredMirrors: config.ignoredMirrors }),
    patches: config.patches.map((source) => ({
      registry: source.registry,
      ...(source.path === undefined ? {} : { path: source.path }),
      required: source.required,
      enforced: source.enforced,
      tier: source.tier,
      file: fileOf(source.tier),
    })),
    values,
  };
}

/** Leaves of nested tables as dotted keys; arrays are leaves. */
function flatten(table: Record<string, unknown>, prefix: string): [string, unknown][] {
  return Object.entries(table).flatMap(([key, value]) => {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    const isTable = typeof value === "object" && value !== null && !Array.isArray(value);
    return isTable ? flatten(value as Record<string, unknown>, path) : [[path, value] as [string, unknown]];
  });
}
