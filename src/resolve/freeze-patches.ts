import { MediaType } from "../oci/media-types.ts";
import { parseReference, type Reference } from "../oci/reference.ts";
import { parsePatchDescriptor, type PatchDescriptor } from "../patch/descriptor.ts";
import { PATCH_TAG, globalPatchRepository } from "../patch/patch-repository.ts";
import type { PatchSnapshot } from "../patch/snapshot.ts";
import { ExitCode, OcxError } from "../error/index.ts";
import type { Session } from "./session.ts";
import { compareIdentifiers } from "../graph/kahn.ts";

export const PATCH_FREEZE_FAILED = "PATCH_FREEZE_FAILED";

/**
 * Lists every patch repository recorded in the home: each `__ocx.patch` tag in the
 * local index, plus the global repository of each configured source.
 */
export async function knownPatchRepositories(session: Session): Promise<Reference[]> {
  const found = new Map<string, Reference>();
  const add = (registry: string, repository: string) =>
    found.set(`${registry}/${repository}`, { registry, repository, tag: PATCH_TAG, digest: undefined });
  for (const entry of await session.index.knownTags()) {
    if (entry.tag === PATCH_TAG) add(entry.registry, entry.repository);
  }
  for (const source of session.config.patches) {
    const place = globalPatchRepository(source);
    add(place.registry, place.repository);
  }
  const sorted = [...found.entries()].sort(([left], [right]) => compareIdentifiers(left, right));
  return sorted.map(([, reference]) => reference);
}

/**
 * Writes down what the patch index resolves to now: each known descriptor's
 * manifest digest (or null when none is published) and the digest every
 * companion its rules name resolves to. Reads the local index first, so
 * `ocx patch sync` beforehand freezes the registry's current state.
 */
export async function freezePatches(session: Session): Promise<PatchSnapshot> {
  const descriptors: Record<string, string | null> = {};
  const companions: Record<string, string> = {};
  for (const reference of await knownPatchRepositories(session)) {
    const name = `${reference.registry}/${reference.repository}`;
    const state = await session.artifacts.read(reference, { layerMediaType: MediaType.ocxPatchDescriptor });
    if (state.state === "unavailable") throw freezeFailed(name, state.reason);
    if (state.state === "absent") {
      descriptors[name] = null;
      continue;
    }
    descriptors[name] = state.digest;
    const descriptor = decode(state.bytes, name);
    for (const packageReference of descriptor.rules.flatMap((rule) => rule.packages)) {
      companions[packageReference] ??= await companionDigest(session, packageReference);
    }
  }
  return { version: 1, descriptors: sorted(descriptors), companions: sorted(companions) };
}

/**
 * Resolves the digest the tag names: the image index for multi-platform packages.
 * NOTE: only companions are pinned; a companion's own dependencies still
 * resolve by their tags.
 */
async function companionDigest(session: Session, text: string): Promise<string> {
  const reference = parseReference(text);
  if (reference.digest !== undefined) return reference.digest;
  const planned = await session.resolver.plan(reference);
  if (planned.tagEntry !== undefined) return planned.tagEntry.digest;
  const state = await session.index.lookup(reference.registry, reference.repository, reference.tag!);
  return state.state === "present" ? state.entry.digest : planned.digest;
}

function decode(bytes: Uint8Array, name: string): PatchDescriptor {
  return parsePatchDescriptor(JSON.parse(new TextDecoder().decode(bytes)), { source: `${name}:${PATCH_TAG}` });
}

function sorted<T>(record: Record<string, T>): Record<string, T> {
  // Code-point order, so the file is the same on every locale.
  const sorted = Object.entries(record).sort(([left], [right]) => compareIdentifiers(left, right));
  return Object.fromEntries(sorted);
}

function freezeFailed(name: string, reason: string): OcxError {
  return new OcxError(PATCH_FREEZE_FAILED, `cannot freeze patches of "${name}": ${reason}`, {
    hint: "connect to the patch registry and run `ocx patch sync` first",
    exitCode: ExitCode.unavailable,
  });
}
