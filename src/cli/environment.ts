import type { ComposeResult } from "../env/compose.ts";
import { log, type Reporter } from "../report/reporter.ts";
import type { Reference } from "../oci/reference.ts";
import { parseReference } from "../oci/reference.ts";
import { composeProjectEnv } from "../resolve/project-env.ts";
import { requireReferences, usageError } from "./arguments.ts";
import type { PackageGraph } from "../resolve/build-graph.ts";
import type { Session } from "../resolve/session.ts";
import type { CommandContext } from "./context.ts";

export interface ComposedEnvironment {
  graph: PackageGraph;
  result: ComposeResult;
  session: Session;
}

/**
 * Plans the roots, composes their environment over `base` (plugin
 * transforms included), and only then installs what is missing, so a
 * failing plugin leaves the store as it was. Conflicts go to stderr.
 */
export async function composeFor(
  ctx: CommandContext,
  roots: Reference[],
  base: Record<string, string | undefined>,
): Promise<ComposedEnvironment> {
  const session = await ctx.openSession();
  const graph = await session.plan(roots);
  const result = await session.compose(graph, base);
  await session.install(graph);
  reportConflicts(ctx.reporter, result);
  return { graph, result, session };
}

/**
 * Composes the packages named on the command line or, when there are
 * none, the tools and `[env]` of the project file found up from the cwd.
 */
export async function composeRequested(
  ctx: CommandContext,
  options: { references: string[]; command: string; base: Record<string, string | undefined> },
): Promise<ComposedEnvironment> {
  if (options.references.length > 0) {
    return composeFor(ctx, requireReferences(options.references, options.command), options.base);
  }
  const session = await ctx.openSession();
  const project = session.config.project;
  if (project === undefined && session.config.untrustedProject !== undefined) {
    throw usageError(
      `ocx ${options.command} found the project file "${session.config.untrustedProject}" but it is not trusted`,
      "check its [tools] and settings, then run `ocx trust`, or name package references",
    );
  }
  // Throws the usage error that names both ways of choosing packages.
  if (project === undefined) requireReferences([], options.command);
  const { graph, result } = await composeProjectEnv(session, { project: project!, base: options.base });
  reportConflicts(ctx.reporter, result);
  return { graph, result, session };
}

function reportConflicts(reporter: Reporter, result: ComposeResult): void {
  for (const conflict of result.conflicts) {
    log(reporter, conflict.level, conflict.message, { key: conflict.key });
  }
}

/** `[patch: corp/ca:1]` for values a companion set last, `[plugin: name]` for plugin changes. */
export function originComment(result: ComposeResult, key: string): string | undefined {
  const origins = result.origins[key] ?? [];
  const last = origins.at(-1);
  if (last === undefined) return undefined;
  if (last.role === "plugin") return `[plugin: ${last.id}]`;
  if (last.role !== "companion") return undefined;
  const reference = parseReference(last.id);
  const name = reference.tag === undefined ? reference.repository : `${reference.repository}:${reference.tag}`;
  return `[patch: ${name}]`;
}
