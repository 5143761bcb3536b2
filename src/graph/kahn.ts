/** An ordering constraint: `before` is applied first. */
export interface OrderEdge {
  before: string;
  after: string;
}

export type OrderResult =
  | { ok: true; order: string[] }
  /** `cycle` is a closed path such as `[a, b, c, a]`: a before b before c before a. */
  | { ok: false; cycle: string[] };

/**
 * Sorts nodes so that every edge's `before` comes first (Kahn's algorithm).
 * Among the nodes that are ready, the lexicographically smallest identifier
 * (plain UTF-16 string comparison, no locale) goes next, so the order depends
 * only on the graph, never on insertion order. Edge endpoints missing from
 * `nodes` are added as nodes, and repeated edges count once. On a cycle it
 * returns one cycle path instead of a partial order, and it does not throw.
 */
export function topologicalOrder(nodes: string[], edges: OrderEdge[]): OrderResult {
  const successors = new Map<string, Set<string>>();
  for (const node of nodes) successors.set(node, new Set());
  for (const { before, after } of edges) {
    if (!successors.has(after)) successors.set(after, new Set());
    const set = successors.get(before) ?? new Set<string>();
    successors.set(before, set);
    set.add(after);
  }

  const inDegree = new Map<string, number>();
  for (const node of successors.keys()) inDegree.set(node, 0);
  for (const set of successors.values()) {
    for (const after of set) inDegree.set(after, (inDegree.get(after) ?? 0) + 1);
  }

  const ready = [...inDegree].filter(([, degree]) => degree === 0).map(([node]) => node);
  ready.sort(compareIdentifiers);
  const order: string[] = [];
  while (ready.length > 0) {
    const node = ready.shift() as string;
    order.push(node);
    for (const after of successors.get(node) ?? []) {
      const degree = (inDegree.get(after) ?? 0) - 1;
      inDegree.set(after, degree);
      if (degree === 0) insertSorted(ready, after);
    }
  }

  if (order.length === inDegree.size) return { ok: true, order };
  const placed = new Set(order);
  return { ok: false, cycle: findCycle(successors, placed) };
}

export function compareIdentifiers(left: string, right: string): number {
  if (left < right) return -1;
  return left > right ? 1 : 0;
}

function insertSorted(list: string[], value: string): void {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (compareIdentifiers(list[middle] as string, value) < 0) low = middle + 1;
    else high = middle;
  }
  list.splice(low, 0, value);
}

/**
 * Finds a cycle among the nodes Kahn's algorithm could not place. Each of them
 * still has an unplaced predecessor, so a walk along predecessors must
 * revisit a node. The walk takes the smallest identifier at each step, which
 * makes the reported cycle deterministic. The path starts at its smallest
 * node and runs from `before` to `after`.
 */
function findCycle(successors: Map<string, Set<string>>, placed: Set<string>): string[] {
  const predecessors = new Map<string, string[]>();
  for (const [before, set] of successors) {
    if (placed.has(before)) continue;
    for (const after of set) {
      if (placed.has(after)) continue;
      const list = predecessors.get(after) ?? [];
      list.push(before);
      predecessors.set(after, list);
    }
  }

  const remaining = [...successors.keys()].filter((node) => !placed.has(node));
  let node = remaining.sort(compareIdentifiers)[0] as string;
  const walk: string[] = [];
  const position = new Map<string, number>();
  while (!position.has(node)) {
    position.set(node, walk.length);
    walk.push(node);
    const choices = (predecessors.get(node) ?? []).sort(compareIdentifiers);
    node = choices[0] as string;
  }

  const loop = walk.slice(position.get(node)).reverse();
  const start = loop.indexOf([...loop].sort(compareIdentifiers)[0] as string);
  const rotated = [...loop.slice(start), ...loop.slice(0, start)];
  return [...rotated, rotated[0] as string];
}
