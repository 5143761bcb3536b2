// @ts-expect-error TypeScript has no type for a module imported as text.
import apiTypesSource from "../plugin/api-types.ts" with { type: "text" };

/**
 * The plugin API as a declaration file for plugin authors, made from the
 * API's own type source so the two cannot drift.
 */
export const PLUGIN_TYPES = [
  "// Types of the ocx plugin API, written by `ocx plugin new`.",
  'declare module "ocx/plugin" {',
  (apiTypesSource as string).replace(/^/gm, "  ").replace(/^ +$/gm, ""),
  "  export const PLUGIN_API_VERSION: 1;",
  "  /** Declares a plugin; returns it unchanged, and gives authors type checking. */",
  "  export function definePlugin(plugin: OcxPlugin): OcxPlugin;",
  "}",
  "",
].join("\n");

export function starterPlugin(name: string): string {
  return `/// <reference path="./ocx-plugin.d.ts" />
// A starter ocx plugin. Load it with [plugins] paths = ["/path/to/${name}.ts"]
// in config.toml, or copy it into $OCX_HOME/plugins/. \`ocx plugin list\`
// shows whether it loaded. Delete the hooks you do not need.
import { definePlugin } from "ocx/plugin";

export default definePlugin({
  name: "${name}",
  apiVersion: 1,

  // Companion packages for resolved packages. Return references; ocx installs
  // them and applies their environment after the package they patch.
  patchSources: [
    {
      name: "${name}-companions",
      companions(pkg) {
        if (pkg.repository.endsWith("/java")) return [{ reference: "corp.example/java/truststore:1", required: false }];
        return [];
      },
    },
  ],

  // Extra ordering between packages already in the graph: \`before\` is applied first.
  edges(nodes) {
    return [];
  },

  // Changes to the composed environment: a string sets, undefined unsets.
  transformEnv(env) {
    if (env.JAVA_HOME === undefined) return undefined;
    return { JAVA_TOOL_OPTIONS: "-Djava.net.useSystemProxies=true" };
  },

  // Pull from an internal mirror first; the original reference is tried last.
  rewriteReference(reference) {
    return undefined;
  },

  // Extra headers per registry host, e.g. a token for an internal registry.
  requestHeaders(host) {
    return undefined;
  },
});
`;
}

export function starterTest(name: string): string {
  return `// Run with: bun test ${name}.test.ts
import { plugin } from "bun";
import { expect, test } from "bun:test";

// Outside the ocx binary, "ocx/plugin" is served by this stand-in.
plugin({
  name: "ocx-plugin-api",
  setup(build) {
    build.module("ocx/plugin", () => ({ exports: { definePlugin: (value: unknown) => value, PLUGIN_API_VERSION: 1 }, loader: "object" }));
  },
});

const { default: definition } = await import("./${name}.ts");
const context = {
  config: {},
  isOffline: true,
  isRefreshing: false,
  log: { info() {}, warn() {}, debug() {} },
  readArtifact: async () => ({ state: "absent" as const }),
};

test("declares its name and API version", () => {
  expect(definition.name).toBe("${name}");
  expect(definition.apiVersion).toBe(1);
});

test("transformEnv sets JAVA_TOOL_OPTIONS for Java", async () => {
  const changes = await definition.transformEnv?.({ JAVA_HOME: "/opt/java" }, context);
  expect(changes?.JAVA_TOOL_OPTIONS).toContain("useSystemProxies");
});
`;
}
