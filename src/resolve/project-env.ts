import type { Project } from "../config/project.ts";
import type { ComposeInput, ComposeResult } from "../env/compose.ts";
import type { PackageGraph } from "./build-graph.ts";
import { graphInputs } from "./compose-graph-env.ts";
import type { Session } from "./session.ts";

export interface ProjectEnv {
  graph: PackageGraph;
  result: ComposeResult;
  /** Element separator of every variable a package extends (`path` or `list`). */
  separators: Record<string, string>;
}

/**
 * Resolves the project's tools (installing what is missing unless offline)
 * and composes their environment over `base`, plugin transforms included.
 * The project's `[env]` constants are applied last, so they win over every
 * package and plugin.
 */
export async function composeProjectEnv(
  session: Session,
  options: { project: Project; base: Record<string, string | undefined> },
): Promise<ProjectEnv> {
  const { project, base } = options;
  // Plan and compose before installing, as `ocx env` does, so a failing
  // plugin leaves the store as it was.
  const graph = await session.plan(project.tools.map((tool) => tool.reference));
  const result = await session.compose(graph, base);
  await session.install(graph);
  const constants = Object.entries(project.env).map(([key, value]) => ({ key, value }));
  applyConstants(result, { id: project.file, constants, base });
  return { graph, result, separators: separatorsOf(graphInputs(graph)) };
}

/**
 * Applies the project's constants without going through conflict
 * tracking: overriding a package's value is what `[env]` is for, so it is
 * not worth a warning at every prompt.
 */
function applyConstants(
  result: ComposeResult,
  options: { id: string; constants: { key: string; value: string }[]; base: Record<string, string | undefined> },
): void {
  for (const { key, value } of options.constants) {
    const previous = result.env[key];
    result.env[key] = value;
    (result.origins[key] ??= []).push({
      id: options.id,
      role: "package",
      action: "set",
      value,
      ...(previous === undefined ? {} : { previous }),
    });
  }
  result.changed = Object.keys(result.env)
    .filter((key) => result.env[key] !== options.base[key])
    .sort();
}

function separatorsOf(inputs: ComposeInput[]): Record<string, string> {
  const separators: Record<string, string> = {};
  for (const input of inputs) {
    for (const entry of input.entries) {
      if (entry.type === "constant") continue;
      separators[entry.key] ??= entry.separator ?? ":";
    }
  }
  return separators;
}
