/**
 * Built-in mirror plugin: whole references for a registry are pulled from
 * other registries first, in order, then from the original, while the
 * package keeps its original name in the store. It works through the
 * public `rewriteReference` hook.
 *
 * ```toml
 * [plugin.mirror]
 * "public.example" = ["mirror.corp:5000", "mirror2.corp/public"]
 * ```
 *
 * A mirror may carry a path, which is put in front of the repository.
 * `[mirrors]` (handled by the registry client) covers plain per-request
 * mirroring with blob fallback; this plugin is for aliasing a registry as a
 * whole, for example to an internal copy with its own repository prefix.
 */
import { definePlugin } from "ocx/plugin";

export default definePlugin({
  name: "mirror",
  apiVersion: 1,
  rewriteReference(reference, context) {
    const settings = (context.config.plugin as Record<string, Record<string, unknown>> | undefined)?.mirror ?? {};
    const slash = reference.indexOf("/");
    if (slash === -1) return undefined;
    const list = settings[reference.slice(0, slash)];
    if (list === undefined) return undefined;
    if (!Array.isArray(list) || !list.every((mirror) => typeof mirror === "string")) {
      throw new Error(`[plugin.mirror] "${reference.slice(0, slash)}" must be a list of registries`);
    }
    const rest = reference.slice(slash + 1);
    return list.map((mirror) => `${mirror.replace(/\/+$/, "")}/${rest}`);
  },
});
