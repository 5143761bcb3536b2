/**
 * The built-in patch source: descriptors from the patch registries named by
 * `[patches]` in the config tiers. It talks to the core only through the
 * plugin API (hooks and context) and shares the rule library in src/patch/.
 */
import { definePlugin, type CompanionSpec, type PackageInfo, type PluginContext } from "ocx/plugin";
import { ExitCode, OcxError } from "../src/error/ocx-error.ts";
import { MediaType } from "../src/oci/media-types.ts";
import { identifierOf, parseReference } from "../src/oci/reference.ts";
import { companionsFor, type Companion, type DescriptorSource } from "../src/patch/companions.ts";
import { PATCH_SNAPSHOT_INCOMPLETE } from "../src/patch/errors.ts";
import { compileGlob } from "../src/patch/glob.ts";
import { readPatchSnapshot, type PatchSnapshot } from "../src/patch/snapshot.ts";
import { parsePatchDescriptor } from "../src/patch/descriptor.ts";
import { globalPatchRepository, PATCH_TAG, patchRepositoryFor } from "../src/patch/patch-repository.ts";

export const PATCH_UNAVAILABLE = "PATCH_UNAVAILABLE";

interface PatchSourceSetting {
  registry: string;
  path?: string;
  required: boolean;
  enforced: boolean;
}

interface SnapshotSetting {
  file: string;
  tier: string;
}

export default definePlugin({
  name: "patch-registry",
  apiVersion: 1,
  patchSources: [{ name: "patch-registry", companions: companionsFromRegistries }],
});

async function companionsFromRegistries(pkg: PackageInfo, context: PluginContext): Promise<CompanionSpec[]> {
  const sources = (context.config.patches ?? []) as PatchSourceSetting[];
  const reference = parseReference(pkg.reference);
  const isOptedOut = ((context.config["no-patches"] ?? []) as string[])
    .some((pattern) => compileGlob(pattern)(identifierOf(reference)));
  const snapshotSetting = context.config["patch-snapshot"] as SnapshotSetting | undefined;
  const snapshot = snapshotSetting === undefined ? undefined : await snapshotFor(snapshotSetting.file, context);
  // Set by `ocx patch test --replace` only; no config file can name it.
  const ignored = new Set((context.config["ignored-patch-repositories"] ?? []) as string[]);
  const descriptors: DescriptorSource[] = [];
  const pinnedSources = new Set<string>();

  for (const source of sources) {
    // NOTE: no-patches covers this plugin's sources only; patch sources of
    // other plugins still attach companions to an opted-out package.
    // Enforced sources ignore opt-outs, and a snapshot pins them only when
    // the system tier names it: a user's snapshot could otherwise drop them.
    if (isOptedOut && !source.enforced) {
      context.log.debug(`no-patches: skipping "${source.registry}" for ${pkg.reference}`);
      continue;
    }
    const pins = source.enforced && snapshotSetting?.tier !== "system" ? undefined : snapshot;
    // The global descriptor applies to every package, before the package's own.
    for (const place of [globalPatchRepository(source), patchRepositoryFor(source, reference)]) {
      const name = `${place.registry}/${place.repository}`;
      if (ignored.has(name)) continue;
      let target = `${name}:${PATCH_TAG}`;
      if (pins !== undefined) {
        const digest = pins.descriptors[name];
        if (digest === undefined || digest === null) continue;
        target += `@${digest}`;
        pinnedSources.add(name);
      }
      const state = await context.readArtifact(target, {
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
      // A source that is not required downgrades every rule it contains to optional.
      const rules = source.required ? descriptor.rules : descriptor.rules.map((rule) => ({ ...rule, required: false }));
      descriptors.push({ source: name, descriptor: { ...descriptor, rules } });
    }
  }
  return companionsFor(descriptors, reference).map((companion) => ({
    reference: pinnedSources.has(companion.source) ? pinCompanion(companion, snapshot!, snapshotSetting!.file) : companion.reference,
    required: companion.required,
    rule: `"${companion.rule}" in ${companion.source}`,
  }));
}

/** A companion of a pinned descriptor resolves to the snapshot's digest only. */
function pinCompanion(companion: Companion, snapshot: PatchSnapshot, file: string): string {
  const digest = snapshot.companions[companion.reference];
  if (digest !== undefined) return `${companion.reference.replace(/@sha256:[a-f0-9]+$/, "")}@${digest}`;
  throw new OcxError(PATCH_SNAPSHOT_INCOMPLETE, `cannot pin companion "${companion.reference}": the patch snapshot "${file}" has no digest for it`, {
    hint: "run `ocx patch freeze` again so the snapshot covers every companion, or remove patch-snapshot from the config",
    exitCode: ExitCode.dataError,
  });
}

// One snapshot read per command, shared by every package it patches.
const snapshots = new WeakMap<PluginContext, Promise<PatchSnapshot>>();

function snapshotFor(file: string, context: PluginContext): Promise<PatchSnapshot> {
  let snapshot = snapshots.get(context);
  if (snapshot === undefined) snapshots.set(context, (snapshot = readPatchSnapshot(file)));
  return snapshot;
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
