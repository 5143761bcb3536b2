/**
 * The public plugin API, version 1. A plugin file imports from the module
 * `ocx/plugin` (this file, served as a virtual module by the binary) and
 * default-exports `definePlugin({...})`. Names here are part of the
 * contract: they change only with a new `apiVersion`.
 *
 * ```ts
 * import { definePlugin } from "ocx/plugin";
 *
 * export default definePlugin({
 *   name: "corp",
 *   apiVersion: 1,
 *   patchSources: [{ name: "corp-ca", companions: () => ["corp.example/ca:1"] }],
 *   transformEnv: (env) => ({ JAVA_TOOL_OPTIONS: "-Djavax.net.ssl.trustStoreType=PKCS12" }),
 * });
 * ```
 *
 * Every hook may be async. A hook that throws, returns data of the wrong
 * shape, or runs past the timeout fails the command with the plugin's name
 * and the hook in the message.
 */

export type * from "./api-types.ts";
import type { OcxPlugin } from "./api-types.ts";

export const PLUGIN_API_VERSION = 1;

/** Declares a plugin; returns it unchanged, and gives authors type checking. */
export function definePlugin(plugin: OcxPlugin): OcxPlugin {
  return plugin;
}
