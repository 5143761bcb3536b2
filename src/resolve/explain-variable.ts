import type { ComposeResult, Origin } from "../env/types.ts";
import type { PackageGraph } from "./build-graph.ts";

/** One change to a variable, in the order ocx applied it. */
export interface VariableStep {
  /** `caller` is the value the environment had before ocx touched it. */
  kind: "caller" | Origin["role"];
  /** Package or companion identifier, plugin name, or `environment`. */
  id: string;
  action: Origin["action"];
  /** The value after this step; absent when the step unset the variable. */
  value?: string;
  /** The value this step replaced or extended, and the step that produced it. */
  overrode?: { id: string; value: string };
  /** For companions: the bases they patch and the rules that attached them. */
  patches?: string[];
  rules?: string[];
}

export interface VariableExplanation {
  key: string;
  /** The final value; absent when the variable ends up unset. */
  value?: string;
  steps: VariableStep[];
}

/**
 * Explains a composed variable: the caller's value, then every package,
 * companion and plugin that set or changed it, in graph order (plugin
 * transforms run last), each with the value it produced and what it
 * overrode.
 */
export function explainVariable(
  key: string,
  options: { graph: PackageGraph; result: ComposeResult; base: Record<string, string | undefined> },
): VariableExplanation {
  const { graph, result, base } = options;
  const steps: VariableStep[] = [];
  const callerValue = base[key];
  if (callerValue !== undefined) steps.push({ kind: "caller", id: "environment", action: "set", value: callerValue });

  for (const origin of result.origins[key] ?? []) {
    const previous = steps.at(-1);
    const step: VariableStep = { kind: origin.role, id: origin.id, action: origin.action };
    if (origin.value !== undefined) step.value = origin.value;
    if (origin.previous !== undefined) step.overrode = { id: previous?.id ?? "environment", value: origin.previous };
    if (origin.role === "companion") {
      const edges = graph.edges.filter((edge) => edge.kind === "patch" && edge.after === origin.id);
      step.patches = [...new Set(edges.map((edge) => edge.before))];
      step.rules = [...new Set(edges.flatMap((edge) => (edge.rule === undefined ? [] : [edge.rule])))];
    }
    steps.push(step);
  }
  const value = result.env[key];
  return { key, ...(value === undefined ? {} : { value }), steps };
}
