/**
 * Built-in mirror plugin: pulls for a registry go to the mirrors listed under
 * `[mirrors]` first, in order, then to the registry itself.
 *
 * ```toml
 * [mirrors]
 * "public.example" = ["mirror.corp:5000", "mirror2.corp/public"]
 * ```
 *
 * A mirror may carry a path, which is put in front of the repository.
 */
import { definePlugin } from "ocx/plugin";

export default definePlugin({
  name: "mirror",
  apiVersion: 1,
  rewriteReference(reference, context) {
    const mirrors = (context.config.mirrors ?? {}) as Record<string, string[]>;
    const slash = reference.indexOf("/");
    const registry = reference.slice(0, slash);
    const list = mirrors[registry];
    if (slash === -1 || list === undefined) return undefined;
    const rest = reference.slice(slash + 1);
    return list.map((mirror) => `${mirror.replace(/\/+$/, "")}/${rest}`);
  },
});
