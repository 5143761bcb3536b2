import { ExitCode, OcxError } from "../error/index.ts";

export const REFERENCE_INVALID = "OCI_REFERENCE_INVALID";

/**
 * A parsed `registry[:port]/repository[:tag][@digest]`. A reference with
 * neither tag nor digest gets the tag `latest`, as docker and skopeo do.
 */
export interface Reference {
  registry: string;
  repository: string;
  tag: string | undefined;
  digest: string | undefined;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

// Grammar from the distribution spec: path components are lowercase
// alphanumerics joined by `.`, `_`, `__`, or runs of `-`.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const REGISTRY = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]{1,5})?$|^\[[0-9a-fA-F:]+\](?::[0-9]{1,5})?$/;

/** Parses a reference without throwing; the caller turns a failure into an error. */
export function tryParseReference(input: string): ParseResult<Reference> {
  const text = input.trim();
  if (text === "") return { ok: false, reason: "the reference is empty" };

  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) {
      return { ok: false, reason: `digest "${digest}" is not sha256: followed by 64 hex digits` };
    }
  }

  const slash = rest.indexOf("/");
  if (slash === -1) {
    return { ok: false, reason: "it has no registry: expected registry/repository[:tag]" };
  }
  const registry = rest.slice(0, slash);
  let path = rest.slice(slash + 1);
  if (!REGISTRY.test(registry) || !(registry.includes(".") || registry.includes(":") || registry === "localhost")) {
    return { ok: false, reason: `"${registry}" is not a registry host (expected a name with a dot or a port, or localhost)` };
  }

  const port = /:(\d+)$/.exec(registry)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
    return { ok: false, reason: `port ${port} of "${registry}" is not between 1 and 65535` };
  }

  let tag: string | undefined;
  const colon = path.lastIndexOf(":");
  if (colon !== -1) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!TAG.test(tag)) return { ok: false, reason: `tag "${tag}" is invalid` };
  }
  if (path === "") return { ok: false, reason: "the repository is empty" };
  for (const component of path.split("/")) {
    if (!COMPONENT.test(component)) {
      return { ok: false, reason: `repository component "${component}" must be lowercase letters, digits and . _ -` };
    }
  }
  if (tag === undefined && digest === undefined) tag = "latest";
  return { ok: true, value: { registry, repository: path, tag, digest } };
}

export function parseReference(input: string): Reference {
  const result = tryParseReference(input);
  if (!result.ok) {
    throw new OcxError(REFERENCE_INVALID, `invalid reference "${input}": ${result.reason}`, {
      hint: "write references as registry/repository:tag, e.g. localhost:5000/tools/jq:1.7",
      exitCode: ExitCode.usage,
    });
  }
  return result.value;
}

/** Formats as `registry/repository[:tag][@digest]`. */
export function formatReference(reference: Reference): string {
  let text = `${reference.registry}/${reference.repository}`;
  if (reference.tag !== undefined) text += `:${reference.tag}`;
  if (reference.digest !== undefined) text += `@${reference.digest}`;
  return text;
}

/** The identifier used in graphs and globs: `registry/repository:tag`, or `@digest` when untagged. */
export function identifierOf(reference: Reference): string {
  return reference.tag !== undefined
    ? `${reference.registry}/${reference.repository}:${reference.tag}`
    : `${reference.registry}/${reference.repository}@${reference.digest}`;
}
