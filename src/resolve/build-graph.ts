import { ExitCode, OcxError, isOcxError } from "../error/index.ts";
import { topologicalOrder } from "../graph/kahn.ts";
import { identifierOf, parseReference, type Reference } from "../oci/reference.ts";
import type { PluginHost } from "../plugin/plugin-host.ts";
import { log, type Reporter } from "../report/reporter.ts";
import type { PackageResolver, PlannedPackage } from "./package-resolver.ts";

export type EdgeKind = "dependency" | "patch" | "plugin";

export interface GraphEdge {
  /** Applied first: the dependency, or the base a companion patches. */
  before: string;
  after: string;
  kind: EdgeKind;
  /** The patch rule that added a patch edge, or the plugin that added a plugin edge. */
  rule?: string;
}

export interface GraphNode {
  id: string;
  package: PlannedPackage;
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
export const GRAPH_DEPENDENCY_INVALID = "GRAPH_DEPENDENCY_INVALID";

export interface BuildGraphOptions {
  resolver: PackageResolver;
  plugins: PluginHost;
  reporter: Reporter;
  /** Ask the registry for every root tag (install, index update). */
  refresh?: boolean;
}

interface QueueItem {
  reference: Reference;
  /** The package that declared this one as a dependency, for messages. */
  dependent?: string;
  isCompanion: boolean;
  isPatchable: boolean;
  isRoot: boolean;
}

/**
 * Plans the one graph: roots, their dependencies (transitively), the
 * companions patch sources attach to them, the companions' own
 * dependencies and plugin edges; then orders it with a single Kahn sort.
 * Nothing is installed here, so a failure leaves the store as it was.
 */
export async function buildGraph(roots: Reference[], options: BuildGraphOptions): Promise<PackageGraph> {
  const nodes = new Map<string, GraphNode>();
  const edges: GraphEdge[] = [];
  const patched = new Set<string>();
  // Companion id -> the bases it patches; attached once every node exists.
  const basesOf = new Map<string, string[]>();
  const queue: QueueItem[] = roots.map((reference) => ({ reference, isCompanion: false, isPatchable: true, isRoot: true }));

  while (queue.length > 0) {
    // Every reference waiting in the queue starts planning now, so their
    // manifests download in parallel. The walk still takes the plans in
    // queue order, so the graph is the one a sequential walk builds.
    for (const waiting of queue) {
      options.resolver.plan(waiting.reference, { refresh: waiting.isRoot && options.refresh }).catch(() => {});
    }
    const item = queue.shift()!;
    const id = identifierOf(item.reference);
    let node = nodes.get(id);
    if (node === undefined) {
      const planned = await planNode(item, options);
      node = { id, package: planned, isRoot: item.isRoot, isCompanion: item.isCompanion, patches: [] };
      nodes.set(id, node);
      for (const dependency of planned.metadata.dependencies) {
        const reference = parseDependency(dependency.identifier, id);
        edges.push({ before: identifierOf(reference), after: id, kind: "dependency" });
        queue.push({ reference, dependent: id, isCompanion: false, isPatchable: item.isPatchable, isRoot: false });
      }
    }
    node.isRoot ||= item.isRoot;
    if (!item.isPatchable || patched.has(id)) continue;
    patched.add(id);
    node.isCompanion &&= item.isCompanion;

    for (const companion of await companionsOf(node, options)) {
      const companionId = identifierOf(companion.reference);
      edges.push({ before: id, after: companionId, kind: "patch", rule: companion.rule });
      queue.push({ reference: companion.reference, isCompanion: true, isPatchable: false, isRoot: false });
      basesOf.set(companionId, [...(basesOf.get(companionId) ?? []), id]);
    }
  }
  for (const [id, bases] of basesOf) nodes.get(id)?.patches.push(...bases);

  await addPluginEdges(nodes, edges, options);
  const result = topologicalOrder([...nodes.keys()], edges);
  if (!result.ok) {
    throw new OcxError(GRAPH_CYCLE, `cycle in the package graph: ${describeCycle(result.cycle, edges)}`, {
      hint: "break the cycle in the packages' dependencies, the patch rules or the plugin edges",
      exitCode: ExitCode.dataError,
    });
  }
  return { roots: roots.map(identifierOf), nodes, edges, order: result.order };
}

/**
 * Collects companions from every patch source. A companion that cannot be
 * planned fails the command only if its rule is required.
 */
async function companionsOf(node: GraphNode, options: BuildGraphOptions) {
  const { reference, digest } = node.package;
  const companions = await options.plugins.companionsFor({
    reference: identifierOf(reference),
    registry: reference.registry,
    repository: reference.repository,
    tag: reference.tag,
    digest,
  });
  const accepted: { reference: Reference; rule: string }[] = [];
  for (const companion of companions) {
    const rule = companion.rule ?? companion.source;
    try {
      const companionReference = parseReference(companion.reference);
      if (identifierOf(companionReference) === node.id) continue;
      // Planned now with its dependencies, so an optional companion that
      // cannot be resolved is dropped before it joins the graph.
      await planSubtree(companionReference, options.resolver, new Set());
      accepted.push({ reference: companionReference, rule });
    } catch (error) {
      const detail = isOcxError(error) ? error.message : String(error);
      if (companion.required) {
        throw new OcxError(GRAPH_COMPANION_FAILED, `cannot resolve companion "${companion.reference}" of "${node.id}" (rule ${rule}): ${detail}`, {
          hint: "required patches fail closed; fix the companion or ask the patch operator",
          cause: error,
          exitCode: isOcxError(error) ? error.exitCode : ExitCode.failure,
        });
      }
      log(options.reporter, "warn", `skipping optional companion "${companion.reference}" of "${node.id}" (rule ${rule}): ${detail}`);
    }
  }
  return accepted;
}

async function planNode(item: QueueItem, options: BuildGraphOptions): Promise<PlannedPackage> {
  try {
    return await options.resolver.plan(item.reference, { refresh: item.isRoot && options.refresh });
  } catch (error) {
    if (item.dependent === undefined || !isOcxError(error)) throw error;
    throw new OcxError(error.code, `cannot resolve dependency "${identifierOf(item.reference)}" of "${item.dependent}": ${error.message}`, {
      ...(error.hint ? { hint: error.hint } : {}),
      cause: error,
      exitCode: error.exitCode,
    });
  }
}

async function planSubtree(reference: Reference, resolver: PackageResolver, seen: Set<string>): Promise<void> {
  const id = identifierOf(reference);
  if (seen.has(id)) return;
  seen.add(id);
  const planned = await resolver.plan(reference);
  for (const dependency of planned.metadata.dependencies) {
    await planSubtree(parseDependency(dependency.identifier, id), resolver, seen);
  }
}

async function addPluginEdges(nodes: Map<string, GraphNode>, edges: GraphEdge[], options: BuildGraphOptions): Promise<void> {
  const infos = [...nodes.values()].map((node) => ({ id: node.id, isCompanion: node.isCompanion, isRoot: node.isRoot }));
  for (const edge of await options.plugins.edges(infos)) {
    if (!nodes.has(edge.before) || !nodes.has(edge.after)) {
      log(options.reporter, "debug", `ignoring edge from plugin "${edge.plugin}" between nodes not in the graph: ${edge.before} -> ${edge.after}`);
      continue;
    }
    edges.push({ before: edge.before, after: edge.after, kind: "plugin", rule: edge.plugin });
  }
}

/** `a -[dependency]-> b -[patch]-> a`: each step names the edge kind that closes the loop. */
function describeCycle(cycle: string[], edges: GraphEdge[]): string {
  let text = cycle[0] ?? "";
  for (let index = 1; index < cycle.length; index++) {
    const from = cycle[index - 1]!;
    const to = cycle[index]!;
    const edge = edges.find((candidate) => candidate.before === from && candidate.after === to);
    text += ` -[${edge?.kind ?? "edge"}]-> ${to}`;
  }
  return text;
}

function parseDependency(identifier: string, dependent: string): Reference {
  try {
    return parseReference(identifier);
  } catch (error) {
    throw new OcxError(GRAPH_DEPENDENCY_INVALID, `invalid dependency "${identifier}" of "${dependent}": ${(error as Error).message}`, {
      hint: "dependencies must be full references: registry/repository:tag[@digest]",
      exitCode: ExitCode.dataError,
    });
  }
}
