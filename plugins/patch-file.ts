/**
 * Built-in patch source for hosts without a patch registry: patch
 * descriptors read from local files, named under `[plugin.patch-file]`.
 *
 * ```toml
 * [plugin.patch-file]
 * paths = ["/etc/ocx/patches"]   # descriptor files, or folders of *.json descriptors
 * ```
 *
 * Every descriptor applies to every package; rules select packages with tag
 * or identifier globs, as in a patch registry.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { definePlugin, type PluginContext } from "ocx/plugin";
import { parseReference } from "../src/oci/reference.ts";
import { companionsFor, type DescriptorSource } from "../src/patch/companions.ts";
import { parsePatchDescriptor } from "../src/patch/descriptor.ts";

export default definePlugin({
  name: "patch-file",
  apiVersion: 1,
  patchSources: [
    {
      name: "patch-file",
      async companions(pkg, context) {
        const descriptors = await descriptorsOnce(context);
        return companionsFor(descriptors, parseReference(pkg.reference)).map((companion) => ({
          reference: companion.reference,
          required: companion.required,
          rule: `"${companion.rule}" in ${companion.source}`,
        }));
      },
    },
  ],
});

// One read per command, not one per package.
const loaded = new WeakMap<PluginContext, Promise<DescriptorSource[]>>();

function descriptorsOnce(context: PluginContext): Promise<DescriptorSource[]> {
  let descriptors = loaded.get(context);
  if (descriptors === undefined) loaded.set(context, (descriptors = readDescriptors(context)));
  return descriptors;
}

async function readDescriptors(context: PluginContext): Promise<DescriptorSource[]> {
  const settings = ((context.config.plugin as Record<string, Record<string, unknown>> | undefined)?.["patch-file"] ?? {});
  const paths = settings.paths;
  if (paths === undefined) return [];
  if (!Array.isArray(paths) || !paths.every((path) => typeof path === "string")) {
    throw new Error('[plugin.patch-file] paths must be a list of file or folder paths');
  }
  const files: string[] = [];
  for (const path of paths) {
    if ((await stat(path)).isDirectory()) {
      const names = (await readdir(path)).filter((name) => name.endsWith(".json")).sort();
      files.push(...names.map((name) => join(path, name)));
    } else {
      files.push(path);
    }
  }
  const descriptors: DescriptorSource[] = [];
  for (const file of files) {
    const json = JSON.parse(await readFile(file, "utf8"));
    descriptors.push({ source: file, descriptor: parsePatchDescriptor(json, { source: file }) });
  }
  return descriptors;
}
