import { isOcxError } from "../error/index.ts";
import { OCI_UNREACHABLE, OCI_TLS_UNTRUSTED, OCI_PLAIN_HTTP_TO_HTTPS } from "../oci/errors.ts";
import { globalPatchRepository, PATCH_TAG } from "../patch/patch-repository.ts";
import type { Session } from "../resolve/session.ts";

export interface RegistryCheck {
  registry: string;
  /** `failed` covers what stops every pull although the host answers: an untrusted certificate, plain HTTP against TLS. */
  status: "reachable" | "unreachable" | "failed" | "skipped";
  detail?: string;
}

export interface PatchSourceCheck {
  registry: string;
  required: boolean;
  enforced: boolean;
  /** The global descriptor's state in the local index. */
  global: "never-synced" | "none" | "synced";
  /** Package descriptors of this source in the local index, by state. */
  packages: { synced: number; none: number };
}

const GLOBAL_STATES = { present: "synced", absent: "none", "never-synced": "never-synced" } as const;

/** Registries the config or the local index name, each asked for `/v2/` once. */
export async function checkRegistries(session: Session): Promise<RegistryCheck[]> {
  const registries = new Set<string>();
  for (const source of session.config.patches) registries.add(globalPatchRepository(source).registry);
  for (const entry of await session.index.knownTags()) registries.add(entry.registry);

  const checks: RegistryCheck[] = [];
  for (const registry of [...registries].sort()) {
    if (session.isOffline) {
      checks.push({ registry, status: "skipped", detail: "offline" });
      continue;
    }
    try {
      const response = await session.client.request(registry, { repository: "", path: "/v2/" });
      await response.body?.cancel();
      checks.push({ registry, status: "reachable", detail: `HTTP ${response.status}` });
    } catch (error) {
      if (!isOcxError(error)) throw error;
      // Any HTTP response, a rejected login included, shows the registry is up;
      // a certificate or protocol failure means no pull can work.
      const status = error.code === OCI_UNREACHABLE
        ? "unreachable"
        : error.code === OCI_TLS_UNTRUSTED || error.code === OCI_PLAIN_HTTP_TO_HTTPS
          ? "failed"
          : "reachable";
      checks.push({ registry, status, detail: error.message });
    }
  }
  return checks;
}

/** Reads the patch index state of every configured source from the local index only. */
export async function checkPatchSources(session: Session): Promise<PatchSourceCheck[]> {
  const known = (await session.index.knownTags()).filter((entry) => entry.tag === PATCH_TAG);
  const checks: PatchSourceCheck[] = [];
  for (const source of session.config.patches) {
    const global = globalPatchRepository(source);
    const base = global.repository.slice(0, -"global".length);
    const state = await session.index.lookup(global.registry, global.repository, PATCH_TAG);
    const packages = { synced: 0, none: 0 };
    for (const entry of known) {
      if (entry.registry !== global.registry || !entry.repository.startsWith(base) || entry.repository === global.repository) continue;
      const entryState = await session.index.lookup(entry.registry, entry.repository, PATCH_TAG);
      if (entryState.state === "present") packages.synced++;
      else if (entryState.state === "absent") packages.none++;
    }
    checks.push({
      registry: source.registry,
      required: source.required,
      enforced: source.enforced,
      global: GLOBAL_STATES[state.state],
      packages,
    });
  }
  return checks;
}
