import { ExitCode, OcxError, isOcxError } from "../error/index.ts";
import { identifierOf, parseReference, type Reference } from "../oci/reference.ts";
import { topologicalOrder } from "../graph/kahn.ts";
import { log, type Reporter } from "../report/reporter.ts";
import type { PackageResolver, ResolvedPackage } from "./package-resolver.ts";
import type { PatchResolver } from "./patch-resolver.ts";

export type EdgeKind = "dependency" | "patch" | "plugin";

export interface GraphEdge {
  /** Applied first: the dependency, or the base a companion patches. */
  before: string;
  after: string;
  kind: EdgeKind;
  /** The patch rule that added a patch edge. */
  rule?: string;
  /** The descriptor holding that rule, as `registry/repository`. */
  source?: string;
}

export interface GraphNode {
  id: string;
  package: ResolvedPackage;
  isRoot: boolean;
  /** True when added as a companion; companions are not themselves patched. */
  isCompanion: boolean;
  /** Bases this node patches, for companions. */
  patches: string[];
}

export interface PackageGraph {
  roots: string[];
  nodes: Map<string, GraphNode>;
  edges: GraphEdge[];
  order: string[];
}

export const GRAPH_CYCLE = "GRAPH_CYCLE";
export const GRAPH_COMPANION_FAILED = "GRAPH_COMPANION_FAILED";

export interface BuildGraphOptions {
  resolver: PackageResolver;
  patches: PatchResolver;
  reporter: Reporter;
  /** Ask the registry for every root tag (install, index update). */
  refresh?: boolean;
}

/**
 * Builds the one graph: roots, their dependencies (transitively), the
 * companions patch sources attach to them, and the companions' own
 * dependencies; then orders it with a single Kahn sort.
 */
export async function buildGraph(roots: Reference[], options: BuildGraphOptions): Promise<PackageGraph> {
  const nodes = new Map<string, GraphNode>();
  const edges: GraphEdge[] = [];
  const patchable = new Set<string>();
  // Companion id -> the bases it patches; attached once every node exists.
  const basesOf = new Map<string, string[]>();
  const queue: { reference: Reference; isCompanion: boolean; isPatchable: boolean; isRoot: boolean }[] =
    roots.map((reference) => ({ reference, isCompanion: false, isPatchable: true, isRoot: true }));

  while (queue.length > 0) {
    const item = queue.shift()!;
    const id = identifierOf(item.reference);
    let node = nodes.get(id);
    if (node === undefined) {
      const resolved = await options.resolver.resolve(item.reference, { refresh: item.isRoot && options.refresh });
      node = { id, package: resolved, isRoot: item.isRoot, isCompanion: item.isCompanion, patches: [] };
      nodes.set(id, node);
      for (const dependency of resolved.object.metadata.dependencies) {
        const reference = parseDependency(dependency.identifier, id);
        edges.push({ before: identifierOf(reference), after: id, kind: "dependency" });
        queue.push({ reference, isCompanion: false, isPatchable: item.isPatchable, isRoot: false });
      }
    }
    node.isRoot ||= item.isRoot;
    if (!item.isPatchable || patchable.has(id)) continue;
    patchable.add(id);
    if (!item.isCompanion) node.isCompanion = false;

    const companions = await options.patches.companionsFor(node.package.reference, { refresh: options.refresh });
    for (const companion of companions) {
      const reference = parseReference(companion.reference);
      const companionId = identifierOf(reference);
      if (companionId === id) continue;
      try {
        if (!nodes.has(companionId)) {
          await options.resolver.resolve(reference);
        }
      } catch (error) {
        if (companion.required) {
          throw new OcxError(GRAPH_COMPANION_FAILED, `cannot install companion "${companionId}" for "${id}" (patch rule "${companion.rule}" in ${companion.source}): ${isOcxError(error) ? error.message : String(error)}`, {
            hint: "required patches fail closed; fix the companion or ask the patch operator",
            cause: error,
            exitCode: isOcxError(error) ? error.exitCode : ExitCode.failure,
          });
        }
        log(options.reporter, "warn", `skipping optional companion "${companionId}" for "${id}": ${isOcxError(error) ? error.message : String(error)}`);
        continue;
      }
      edges.push({ before: id, after: companionId, kind: "patch", rule: companion.rule, source: companion.source });
      queue.push({ reference, isCompanion: true, isPatchable: false, isRoot: false });
      basesOf.set(companionId, [...(basesOf.get(companionId) ?? []), id]);
    }
  }

  for (const [id, bases] of basesOf) nodes.get(id)?.patches.push(...bases);
  const result = topologicalOrder([...nodes.keys()], edges);
  if (!result.ok) {
    throw new OcxError(GRAPH_CYCLE, `dependency cycle: ${result.cycle.join(" -> ")}`, {
      hint: "break the cycle in the packages' dependencies or in the patch rules",
      exitCode: ExitCode.dataError,
    });
  }
  return { roots: roots.map(identifierOf), nodes, edges, order: result.order };
}

function parseDependency(identifier: string, dependent: string): Reference {
  try {
    return parseReference(identifier);
  } catch (error) {
    throw new OcxError("GRAPH_DEPENDENCY_INVALID", `invalid dependency "${identifier}" of "${dependent}": ${(error as Error).message}`, {
      hint: "dependencies must be full references: registry/repository:tag[@digest]",
      exitCode: ExitCode.dataError,
    });
  }
}
