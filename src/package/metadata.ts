import * as v from "valibot";

import { ExitCode, OcxError } from "../error/ocx-error.ts";
import { isReservedVariable } from "../env/reserved.ts";
import { PACKAGE_METADATA_INVALID } from "./errors.ts";
import { checkTemplate, DEPENDENCY_NAME_PATTERN } from "./template.ts";

export interface EnvEntry {
  key: string;
  type: "constant" | "path" | "list";
  value: string;
  /** Text placed between a `list` value and the variable's current value. */
  separator?: string;
}

export interface DependencyEntry {
  identifier: string;
  /** The NAME that `${deps.NAME.installPath}` in `env` values refers to. */
  name?: string;
}

/** The package's `metadata.json`, stored as the config blob of its manifest. */
export interface PackageMetadata {
  type: "bundle";
  version: 1;
  strip_components: number;
  env: EnvEntry[];
  dependencies: DependencyEntry[];
}

const SHELL_VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;


/** Upper bound on one value, well under Linux's 128 KiB limit for one environment string. */
const MAX_VALUE_LENGTH = 32 * 1024;

const templateValue = v.pipe(
  v.string(),
  v.check(
    (value) => checkTemplate(value).ok,
    (issue) => {
      const result = checkTemplate(String(issue.input));
      return result.ok ? "invalid token" : result.reason;
    },
  ),
);

const EnvEntrySchema = v.pipe(
  v.object({
    key: v.pipe(
      v.string(),
      v.regex(SHELL_VARIABLE_NAME, (issue) => `expected a shell variable name matching [A-Za-z_][A-Za-z0-9_]*, got ${issue.received}`),
      v.check((key) => !isReservedVariable(key), (issue) => `${issue.received} is a variable the shell or ocx owns and cannot be set by a package`),
    ),
    type: v.picklist(["constant", "path", "list"], (issue) => `expected "constant", "path" or "list", got ${issue.received}`),
    value: v.pipe(
      templateValue,
      v.check((value) => !value.includes("\0"), "a value cannot contain a NUL byte"),
      v.maxLength(MAX_VALUE_LENGTH, `expected at most ${MAX_VALUE_LENGTH} characters`),
    ),
    separator: v.optional(v.pipe(v.string(), v.minLength(1, "expected a non-empty string"))),
  }),
  // A relative path entry would make lookups depend on the caller's working directory.
  v.forward(
    v.check(
      (entry) => entry.type !== "path" || entry.value === "" || /^(\/|\$\{installPath\}|\$\{deps\.)/.test(entry.value),
      "a path entry must start with ${installPath}, ${deps.NAME.installPath} or /",
    ),
    ["value"],
  ),
);

const DependencyEntrySchema = v.object({
  identifier: v.pipe(v.string(), v.minLength(1, "expected a non-empty package reference")),
  name: v.optional(
    v.pipe(
      v.string(),
      v.regex(DEPENDENCY_NAME_PATTERN, (issue) => `expected a name of letters, digits, "_" or "-", got ${issue.received}`),
    ),
  ),
});

const PackageMetadataSchema = v.object({
  type: v.literal("bundle", (issue) => `expected "bundle", got ${issue.received}`),
  version: v.literal(1, (issue) => `expected 1, got ${issue.received}`),
  strip_components: v.optional(
    v.pipe(
      v.number(),
      v.integer("expected a non-negative integer"),
      v.minValue(0, "expected a non-negative integer"),
    ),
    0,
  ),
  env: v.optional(v.array(EnvEntrySchema), () => []),
  dependencies: v.optional(v.array(DependencyEntrySchema), () => []),
});

/**
 * Validates a parsed `metadata.json`. Unknown fields are dropped so newer
 * publishers can add fields without breaking older clients.
 * @throws OcxError PACKAGE_METADATA_INVALID naming `source` and the field path
 */
export function parseMetadata(input: unknown, options: { source: string }): PackageMetadata {
  const result = v.safeParse(PackageMetadataSchema, input, { message: describeIssue });
  if (!result.success) {
    const [first] = result.issues;
    const extra = result.issues.length > 1 ? ` (and ${result.issues.length - 1} more)` : "";
    throw invalidMetadata(options.source, formatIssuePath(first.path), `${first.message}${extra}`);
  }

  const metadata: PackageMetadata = result.output;
  const problem = findDependencyProblem(metadata);
  if (problem !== undefined) {
    throw invalidMetadata(options.source, problem.field, problem.detail);
  }
  return metadata;
}

/** Finds a duplicate dependency name or a token naming an undeclared dependency. */
function findDependencyProblem(
  metadata: PackageMetadata,
): { field: string; detail: string } | undefined {
  const declared = new Set<string>();
  for (const [index, dependency] of metadata.dependencies.entries()) {
    if (dependency.name === undefined) continue;
    if (declared.has(dependency.name)) {
      return { field: `dependencies[${index}].name`, detail: `duplicate name "${dependency.name}"` };
    }
    declared.add(dependency.name);
  }

  for (const [index, entry] of metadata.env.entries()) {
    const checked = checkTemplate(entry.value);
    if (!checked.ok) continue;
    const unknown = checked.depNames.find((name) => !declared.has(name));
    if (unknown !== undefined) {
      return {
        field: `env[${index}].value`,
        detail: `\${deps.${unknown}.installPath} names no dependency declared with name "${unknown}"`,
      };
    }
  }
  return undefined;
}

/** Phrases issues whose schema has no message of its own. */
function describeIssue(issue: v.BaseIssue<unknown>): string {
  if (issue.received === "undefined") return "required field is missing";
  return `expected ${issue.expected ?? "a valid value"}, got ${issue.received}`;
}

function invalidMetadata(source: string, field: string, detail: string): OcxError {
  return new OcxError(
    PACKAGE_METADATA_INVALID,
    `Invalid metadata.json in package "${source}": ${field}: ${detail}`,
    {
      hint: "The package was published with invalid metadata; ask its publisher to fix metadata.json and push it again",
      exitCode: ExitCode.dataError,
    },
  );
}

/** Renders a valibot issue path as `env[1].value`, and the root as `metadata`. */
function formatIssuePath(path: v.IssuePathItem[] | undefined): string {
  if (path === undefined || path.length === 0) return "metadata";

  let field = "";
  for (const item of path) {
    const key = item.key;
    if (typeof key === "number") field += `[${key}]`;
    else field += field === "" ? String(key) : `.${String(key)}`;
  }
  return field;
}
