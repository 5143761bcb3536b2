import * as v from "valibot";
import { isReservedVariable } from "../env/reserved.ts";
import { findGlobProblem } from "../patch/glob.ts";

/** A duration in milliseconds; timers cannot go past 2^31 - 1 ms (about 24.8 days). */
const MillisecondsSchema = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(2_147_483_647));

const PatchesSchema = v.strictObject({
  registry: v.pipe(v.string(), v.minLength(1)),
  path: v.optional(v.pipe(v.string(), v.minLength(1))),
  required: v.optional(v.boolean()),
  /** System tier only: lower tiers, OCX_NO_PATCHES and `no-patches` cannot opt out. */
  enforced: v.optional(v.boolean()),
});

/** `[registries."host:port"]`: settings for one registry host. */
const RegistryHostSchema = v.strictObject({
  /** PEM bundle trusted for this host besides the system store; relative to the config file. */
  ca_file: v.optional(v.pipe(v.string(), v.minLength(1))),
});

/** TypeScript cannot type a record whose named keys differ from its rest. */
type RegistriesConfig = {
  insecure?: string[];
  tls?: string[];
  [host: string]: string[] | { ca_file?: string } | undefined;
};

const RegistriesSchema: v.GenericSchema<RegistriesConfig> = v.objectWithRest(
  {
    /** Registries (host:port) reached over plain HTTP in addition to loopback hosts. */
    insecure: v.optional(v.array(v.string())),
    /** Loopback registries that serve HTTPS, e.g. a TLS registry tunnelled to localhost:8443. */
    tls: v.optional(v.array(v.string())),
  },
  RegistryHostSchema,
);

/** A mirror: `host[:port][/prefix]`, or a table naming which requests it serves. */
const MirrorSchema = v.union([
  v.pipe(v.string(), v.minLength(1)),
  v.strictObject({
    host: v.pipe(v.string(), v.minLength(1)),
    serves: v.optional(v.array(v.picklist(["tags", "digests"]))),
  }),
]);

const NetworkSchema = v.strictObject({
  retries: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(20))),
  retry_delay_ms: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  timeout_ms: v.optional(MillisecondsSchema),
  stall_timeout_ms: v.optional(MillisecondsSchema),
  parallel_downloads: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(64))),
});

const GlobListSchema = v.array(
  v.pipe(
    v.string(),
    v.minLength(1),
    v.check((pattern) => findGlobProblem(pattern) === undefined, (issue) => `invalid pattern ${issue.received}: ${findGlobProblem(String(issue.input))}`),
  ),
);

const LimitsSchema = v.strictObject({
  /** Upper bound on the bytes one package may extract to. */
  max_package_bytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
});

const PluginsSchema = v.strictObject({
  /** Plugin files (.ts or .js) or folders of them; relative paths start at the config file's folder. */
  paths: v.optional(v.array(v.pipe(v.string(), v.minLength(1)))),
  /** Absolute plugin files or folders allowed to load, besides the built-in plugins. System tier only. */
  allow: v.optional(v.array(v.string())),
  /** Upper bound on one plugin hook call, in milliseconds. */
  timeout_ms: v.optional(MillisecondsSchema),
});

/** One config tier, as read from a TOML file. */
export const ConfigFileSchema = v.strictObject({
  patches: v.optional(PatchesSchema),
  registries: v.optional(RegistriesSchema),
  limits: v.optional(LimitsSchema),
  /** Registry (host:port) -> mirrors tried in order before it. */
  mirrors: v.optional(v.record(v.string(), v.array(MirrorSchema))),
  network: v.optional(NetworkSchema),
  offline: v.optional(v.boolean()),
  plugins: v.optional(PluginsSchema),
  /** Globs over base identifiers (`registry/repository:tag`) that skip non-enforced patches. */
  "no-patches": v.optional(GlobListSchema),
  /** A snapshot written by `ocx patch freeze`; patches then resolve to its digests only. */
  "patch-snapshot": v.optional(v.pipe(v.string(), v.minLength(1))),
  /** Settings tables for plugins, `[plugin.NAME]`, validated by each plugin. */
  plugin: v.optional(v.record(v.string(), v.record(v.string(), v.unknown()))),
});

export type ConfigFile = v.InferOutput<typeof ConfigFileSchema>;
export type PatchesConfig = v.InferOutput<typeof PatchesSchema>;
export type RegistryHostConfig = v.InferOutput<typeof RegistryHostSchema>;
export type MirrorConfig = v.InferOutput<typeof MirrorSchema>;
export type NetworkConfig = v.InferOutput<typeof NetworkSchema>;

/** Names a shell can export; anything else could smuggle syntax into the hook. */
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The project file `ocx.toml`: a config tier plus the tools the project
 * uses (`name = "registry/repository:tag"`) and extra constants.
 */
export const ProjectFileSchema = v.strictObject({
  ...ConfigFileSchema.entries,
  tools: v.optional(v.record(v.pipe(v.string(), v.minLength(1)), v.pipe(v.string(), v.minLength(1)))),
  env: v.optional(
    v.record(
      v.pipe(
        v.string(),
        v.regex(VARIABLE_NAME, "a variable name (letters, digits and _)"),
        v.check((key) => !isReservedVariable(key) && key !== "PATH", "a variable that is not PATH, OCX_* or owned by the shell (packages extend PATH)"),
      ),
      v.pipe(v.string(), v.check((value) => !value.includes("\u0000"), "a string without NUL bytes")),
    ),
  ),
});

export type ProjectFile = v.InferOutput<typeof ProjectFileSchema>;
