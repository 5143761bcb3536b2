/**
 * The built-in patch source: descriptors from the patch registries named by
 * `[patches]` in the config tiers. It talks to the core only through the
 * plugin API (hooks and context) and shares the rule library in src/patch/.
 */
import { definePlugin, type CompanionSpec, type PackageInfo, type PluginContext } from "ocx/plugin";
import { ExitCode, OcxError } from "../src/error/ocx-error.ts";
import { MediaType } from "../src/oci/media-types.ts";
import { parseReference } from "../src/oci/reference.ts";
import { companionsFor, type DescriptorSource } from "../src/patch/companions.ts";
import { parsePatchDescriptor } from "../src/patch/descriptor.ts";
import { globalPatchRepository, PATCH_TAG, patchRepositoryFor } from "../src/patch/patch-repository.ts";

export const PATCH_UNAVAILABLE = "PATCH_UNAVAILABLE";

interface PatchSourceSetting {
  registry: string;
  path?: string;
  required: boolean;
}

export default definePlugin({
  name: "patch-registry",
  apiVersion: 1,
  patchSources: [{ name: "patch-registry", companions: companionsFromRegistries }],
});

async function companionsFromRegistries(pkg: PackageInfo, context: PluginContext): Promise<CompanionSpec[]> {
  const sources = (context.config.patches ?? []) as PatchSourceSetting[];
  const reference = parseReference(pkg.reference);
  const descriptors: DescriptorSource[] = [];

  for (const source of sources) {
    // The global descriptor applies to every package, before the package's own.
    for (const place of [globalPatchRepository(source), patchRepositoryFor(source, reference)]) {
      const name = `${place.registry}/${place.repository}`;
      const state = await context.readArtifact(`${name}:${PATCH_TAG}`, {
        layerMediaType: MediaType.ocxPatchDescriptor,
        refresh: context.isRefreshing,
      });
      if (state.state === "absent") continue;
      if (state.state === "unavailable") {
        unavailable(source, state.reason, context);
        continue;
      }
      const descriptor = parsePatchDescriptor(JSON.parse(new TextDecoder().decode(state.bytes)), {
        source: `${name}:${PATCH_TAG}`,
      });
      // A source that is not required downgrades every rule it holds to optional.
      const rules = source.required ? descriptor.rules : descriptor.rules.map((rule) => ({ ...rule, required: false }));
      descriptors.push({ source: name, descriptor: { ...descriptor, rules } });
    }
  }
  return companionsFor(descriptors, reference).map((companion) => ({
    reference: companion.reference,
    required: companion.required,
    rule: `"${companion.rule}" in ${companion.source}`,
  }));
}

/** Fails closed for a required source; warns and skips for an optional one. */
function unavailable(source: PatchSourceSetting, reason: string, context: PluginContext): void {
  if (source.required) {
    throw new OcxError(PATCH_UNAVAILABLE, `cannot apply required patches from "${source.registry}": ${reason}`, {
      hint: "connect to the patch registry and run `ocx index update`, or ask your operator; required patches fail closed",
      exitCode: ExitCode.unavailable,
    });
  }
  let warned = warnedSources.get(context);
  if (warned === undefined) warnedSources.set(context, (warned = new Set()));
  if (warned.has(source.registry)) return;
  warned.add(source.registry);
  context.log.warn(`skipping optional patches from "${source.registry}": ${reason}`);
}

// One warning per unavailable source and command, not one per package.
const warnedSources = new WeakMap<PluginContext, Set<string>>();
