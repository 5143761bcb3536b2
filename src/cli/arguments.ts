import { ExitCode, OcxError } from "../error/index.ts";
import { parseReference, type Reference } from "../oci/reference.ts";
import type { Platform } from "../oci/types.ts";
import { CLI_USAGE } from "./errors.ts";

/** Commands that fall back to the project's [tools] when no reference is named. */
const PROJECT_COMMANDS = new Set(["env", "exec", "why"]);

export function requireReferences(references: string[], command: string): Reference[] {
  if (references.length === 0) {
    throw usageError(
      `ocx ${command} needs at least one package reference`,
      PROJECT_COMMANDS.has(command)
        ? `name one (example: ocx ${command} localhost:5000/tools/jq:1.7), or run it in a folder whose trusted ocx.toml, or a parent's, lists [tools]`
        : `name one, e.g. ocx ${command} localhost:5000/tools/jq:1.7`,
    );
  }
  return references.map(parseReference);
}

export function usageError(message: string, hint: string): OcxError {
  return new OcxError(CLI_USAGE, message, { hint, exitCode: ExitCode.usage });
}

/** cac gives one value for a flag used once and an array for repeats. */
export function toArray(value: unknown): string[] {
  if (value === undefined || value === false) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** Commands that only make sense with the network fail early when offline. */
export function requireOnline(isOffline: boolean, action: string): void {
  if (!isOffline) return;
  throw new OcxError("CLI_OFFLINE", `cannot ${action} offline`, {
    hint: "run it without --offline, OCX_OFFLINE and the config's offline setting",
    exitCode: ExitCode.unavailable,
  });
}

/** Parses `os/arch[/variant]` as given to --platform. */
export function parsePlatform(text: string): Platform {
  const [os, architecture, variant, ...rest] = text.split("/");
  if (!os || !architecture || rest.length > 0) {
    throw usageError(`invalid platform "${text}"`, "write platforms as os/arch, e.g. linux/amd64");
  }
  return { os, architecture, ...(variant ? { variant } : {}) };
}
