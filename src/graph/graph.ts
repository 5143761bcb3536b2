import { ExitCode, OcxError } from "../error/index.ts";
import { topologicalOrder, type OrderEdge } from "./kahn.ts";

export const GRAPH_CYCLE = "GRAPH_CYCLE";

export type EdgeKind = "dependency" | "patch" | "plugin";

/**
 * An edge reads "`from` builds on `to`", so `to` is applied first and `from`
 * wins where both set one constant:
 * - `dependency`: `from` is the dependent, `to` its dependency.
 * - `patch`: `from` is the companion, `to` the base package it patches, so
 *   the companion's constants override the publisher's.
 * - `plugin`: `from` is the plugin's `after`, `to` its `before`; use
 *   {@link PackageGraph.addPluginEdge} to pass them as the plugin gave them.
 */
export interface GraphEdge {
  from: string;
  to: string;
  kind: EdgeKind;
}

export type GraphOrderResult =
  | { ok: true; order: string[] }
  /** `cycle` runs along edges, `[a, b, a]` for `a -> b -> a`; `error` is ready to throw. */
  | { ok: false; cycle: string[]; error: OcxError };

/** Packages and the edges between them, ordered by one Kahn sort. */
export class PackageGraph {
  readonly #nodes = new Set<string>();
  readonly #edges: GraphEdge[] = [];
  readonly #edgeKeys = new Set<string>();

  addNode(id: string): void {
    this.#nodes.add(id);
  }

  has(id: string): boolean {
    return this.#nodes.has(id);
  }

  nodes(): string[] {
    return [...this.#nodes];
  }

  edges(): GraphEdge[] {
    return [...this.#edges];
  }

  /** Adds an edge between known nodes; a repeated edge is kept once. */
  addEdge(edge: GraphEdge): void {
    for (const id of [edge.from, edge.to]) {
      // Callers add nodes first; plugin edges naming other nodes are
      // filtered before they get here, so this is a programming error.
      if (!this.#nodes.has(id)) throw new Error(`graph edge names unknown node "${id}"`);
    }
    const key = JSON.stringify([edge.from, edge.to, edge.kind]);
    if (this.#edgeKeys.has(key)) return;
    this.#edgeKeys.add(key);
    this.#edges.push({ ...edge });
  }

  /** Adds a plugin edge in the plugin API's terms: `before` is applied first. */
  addPluginEdge(edge: { before: string; after: string }): void {
    this.addEdge({ from: edge.after, to: edge.before, kind: "plugin" });
  }

  /**
   * Lists what a tree view shows under `id`, in insertion order: its
   * dependencies, the companions that patch it, and the nodes a plugin
   * ordered before it.
   */
  children(id: string): { id: string; kind: EdgeKind }[] {
    const children: { id: string; kind: EdgeKind }[] = [];
    for (const edge of this.#edges) {
      if (edge.kind === "patch") {
        if (edge.to === id) children.push({ id: edge.from, kind: edge.kind });
      } else if (edge.from === id) {
        children.push({ id: edge.to, kind: edge.kind });
      }
    }
    return children;
  }

  /** Orders all nodes so that each edge's `to` precedes its `from`. */
  order(): GraphOrderResult {
    const constraints: OrderEdge[] = this.#edges.map((edge) => ({
      before: edge.to,
      after: edge.from,
    }));
    const result = topologicalOrder([...this.#nodes], constraints);
    if (result.ok) return result;

    // Kahn reports the cycle in application order; edges point the other way.
    const cycle = [...result.cycle].reverse();
    return { ok: false, cycle, error: cycleError(cycle) };
  }
}

/** Formats a closed path as `a -> b -> c -> a`. */
export function formatCycle(cycle: string[]): string {
  return cycle.join(" -> ");
}

export function cycleError(cycle: string[]): OcxError {
  return new OcxError(GRAPH_CYCLE, `failed to order packages: cycle ${formatCycle(cycle)}`, {
    hint: "each arrow is a dependency, a patch rule or a plugin edge; remove one of them to break the cycle",
    exitCode: ExitCode.dataError,
  });
}
