import { dirname } from "node:path";
import { tryParseReference, type Reference } from "../oci/reference.ts";
import { configInvalid } from "./errors.ts";
import type { ConfigFile, ProjectFile } from "./schema.ts";

/** One entry of the project file's `[tools]` table. */
export interface ProjectTool {
  name: string;
  reference: Reference;
}

/** What an `ocx.toml` asks for beyond the config settings every tier has. */
export interface Project {
  file: string;
  dir: string;
  tools: ProjectTool[];
  /** `[env]`: constants applied after every package, in file order. */
  env: Record<string, string>;
}

/**
 * Reads the tools and constants of the project tier. References were
 * checked by `checkProjectReferences` when the file was parsed.
 */
export function projectOf(tier: { file: string; config: ConfigFile } | undefined): Project | undefined {
  if (tier === undefined) return undefined;
  const config = tier.config as ProjectFile;
  const tools = Object.entries(config.tools ?? {}).map(([name, text]) => {
    const parsed = tryParseReference(text);
    if (!parsed.ok) throw new Error(`unchecked reference in ${tier.file}: ${text}`);
    return { name, reference: parsed.value };
  });
  return { file: tier.file, dir: dirname(tier.file), tools, env: { ...(config.env ?? {}) } };
}

/**
 * Rejects a `[tools]` value that is not a valid reference, naming the file,
 * the line and the key, so a typo never reaches the registry.
 */
export function checkProjectReferences(
  config: ProjectFile,
  options: { file: string; lineOf: (dottedPath: string) => number | undefined },
): void {
  for (const [name, text] of Object.entries(config.tools ?? {})) {
    const parsed = tryParseReference(text);
    if (parsed.ok) continue;
    throw configInvalid(options.file, {
      line: options.lineOf(`tools.${name}`),
      key: `tools.${name}`,
      reason: `invalid reference "${text}": ${parsed.reason}`,
    });
  }
}
