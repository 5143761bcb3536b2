import * as v from "valibot";

import { ExitCode, OcxError } from "../error/index.ts";
import { findGlobProblem } from "./glob.ts";
import { tryParseReference } from "../oci/reference.ts";
import { PATCH_DESCRIPTOR_INVALID } from "./errors.ts";

export interface PatchRule {
  match: string;
  packages: string[];
  required: boolean;
}

export interface PatchDescriptor {
  version: 1;
  rules: PatchRule[];
}

const PackageReferenceSchema = v.pipe(
  v.string(),
  v.check(
    (text) => tryParseReference(text).ok,
    (issue) => describeReferenceFailure(String(issue.input)),
  ),
);

const PatchRuleSchema = v.strictObject({
  match: v.pipe(
    v.string(),
    v.minLength(1, "the match pattern is empty"),
    v.check((pattern) => findGlobProblem(pattern) === undefined, (issue) => `invalid pattern ${issue.received}: ${findGlobProblem(String(issue.input))}`),
  ),
  packages: v.array(PackageReferenceSchema),
  required: v.optional(v.boolean(), true),
});

// Unknown keys are rejected: a misspelt "required" would otherwise leave a
// rule required while its author believes it optional. New fields come with
// a new version number.
const PatchDescriptorSchema = v.strictObject({
  version: v.literal(1, (issue) => `${issue.received} is not supported: expected 1`),
  rules: v.array(PatchRuleSchema),
});

/**
 * Validates a decoded patch descriptor. `source` names where it came from
 * (a registry repository or a file) and appears in the error, together with
 * the path of the first invalid field.
 */
export function parsePatchDescriptor(
  input: unknown,
  options: { source: string },
): PatchDescriptor {
  const result = v.safeParse(PatchDescriptorSchema, input);
  if (result.success) return result.output;

  const issue = result.issues[0];
  const field = formatIssuePath(issue.path);
  throw new OcxError(
    PATCH_DESCRIPTOR_INVALID,
    `invalid patch descriptor "${options.source}": ${field}: ${describeIssue(issue)}`,
    {
      hint: 'ask the patch registry operator to fix the descriptor; it must look like {"version": 1, "rules": [{"match": "*", "packages": ["registry/repository:tag"]}]}',
      exitCode: ExitCode.dataError,
    },
  );
}

/** Rewords valibot's type issues; the custom messages above pass through. */
function describeIssue(issue: v.BaseIssue<unknown>): string {
  if (issue.expected === "never") return `unknown key ${issue.received}`;
  if (issue.input === undefined) return "missing";
  if (issue.kind === "schema" && issue.type !== "literal") {
    return `expected ${issue.expected}, received ${issue.received}`;
  }
  return issue.message;
}

function describeReferenceFailure(text: string): string {
  const result = tryParseReference(text);
  return result.ok ? "valid" : `invalid reference "${text}": ${result.reason}`;
}

/** Formats a valibot issue path as `rules[0].packages[1]`, or `descriptor` at the root. */
function formatIssuePath(path: v.IssuePathItem[] | undefined): string {
  if (path === undefined || path.length === 0) return "descriptor";
  let text = "";
  for (const item of path) {
    const key = item.key;
    text += typeof key === "number" ? `[${key}]` : `${text === "" ? "" : "."}${String(key)}`;
  }
  return text;
}
