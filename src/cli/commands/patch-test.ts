import { readFile } from "node:fs/promises";
import type { CAC } from "cac";
import { ExitCode, OcxError } from "../../error/index.ts";
import type { ComposeResult } from "../../env/types.ts";
import { identifierOf, parseReference, type Reference } from "../../oci/reference.ts";
import type { OcxPlugin } from "../../plugin/api.ts";
import { companionsFor } from "../../patch/companions.ts";
import { parsePatchDescriptor, type PatchDescriptor, type PatchRule } from "../../patch/descriptor.ts";
import { PATCH_DESCRIPTOR_INVALID } from "../../patch/errors.ts";
import { ruleMatches } from "../../patch/glob.ts";
import { globalPatchRepository, patchRepositoryFor } from "../../patch/patch-repository.ts";
import { requireReferences, usageError } from "../arguments.ts";
import type { CommandRunner } from "../context.ts";

interface PackageReport {
  reference: string;
  rules: (PatchRule & { index: number })[];
  companions: { reference: string; digest: string; patches: string; rule: string }[];
  env: { key: string; before?: string; after?: string }[];
}

export function registerPatchTest(cli: CAC, run: CommandRunner): void {
  cli
    .command("patch test <descriptor> [...references]", "Show what a descriptor would do to packages, without publishing it")
    .usage("patch test DESCRIPTOR.json REF... [--json]")
    .option("--replace <repository>", "Test a new version of the descriptor published at this patch repository: ignore the published one")
    .example("ocx patch test rules.json localhost:5000/tools/node:22")
    .example("ocx patch test rules.json localhost:5000/tools/node:22 --replace localhost:5000/ocx-patches/global")
    .action(
      run(async (ctx, file: string, references: string[], options: { replace?: string }) => {
        const descriptor = await readDescriptorFile(file);
        const roots = requireReferences(references, "patch test");
        const plugin = testPlugin(descriptor, file);
        // "before" is what hosts get today; "after" adds the tested
        // descriptor behind the configured patch sources, in place of the
        // published one that --replace names.
        const before = await ctx.openSession();
        if (options.replace !== undefined) checkReplaced(options.replace, before.config.patches, roots);
        const after = await ctx.openSession({
          extraPlugins: [{ plugin, origin: file }],
          ...(options.replace === undefined ? {} : { ignoredPatchRepositories: [options.replace.replace(/(:__ocx\.patch)?\/*$/, "")] }),
        });
        const reports: PackageReport[] = [];
        for (const root of roots) {
          const graphBefore = await before.plan([root]);
          const graphAfter = await after.plan([root]);
          const envBefore = await before.compose(graphBefore, ctx.env);
          const envAfter = await after.compose(graphAfter, ctx.env);
          reports.push({
            reference: identifierOf(root),
            rules: matchingRules(descriptor, root),
            companions: graphAfter.edges
              .filter((edge) => edge.kind === "patch" && edge.rule?.endsWith(`in ${file}`))
              .map((edge) => ({ reference: edge.after, digest: graphAfter.nodes.get(edge.after)!.package.digest, patches: edge.before, rule: edge.rule! })),
            env: diffEnv(envBefore, envAfter),
          });
        }
        ctx.stdout(ctx.isJson ? `${JSON.stringify({ descriptor: file, packages: reports }, null, 2)}\n` : renderReports(reports));
      }),
    );
}

async function readDescriptorFile(file: string): Promise<PatchDescriptor> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    const isMissing = (error as NodeJS.ErrnoException).code === "ENOENT";
    throw new OcxError(PATCH_DESCRIPTOR_INVALID, `invalid patch descriptor "${file}": ${isMissing ? "the file does not exist" : (error as Error).message}`, {
      hint: 'a descriptor is JSON: {"version": 1, "rules": [{"match": "*", "packages": ["registry/repository:tag"]}]}',
      exitCode: isMissing ? ExitCode.usage : ExitCode.dataError,
    });
  }
  return parsePatchDescriptor(data, { source: file });
}

/** A patch source that returns the tested descriptor's companions, as the patch registry would. */
function testPlugin(descriptor: PatchDescriptor, file: string): OcxPlugin {
  return {
    name: "patch-test",
    apiVersion: 1,
    patchSources: [{
      name: "descriptor",
      companions: (pkg) => companionsFor([{ source: file, descriptor }], parseReference(pkg.reference))
        .map((companion) => ({ reference: companion.reference, required: companion.required, rule: `"${companion.rule}" in ${file}` })),
    }],
  };
}

function matchingRules(descriptor: PatchDescriptor, reference: Reference) {
  return descriptor.rules
    .map((rule, index) => ({ ...rule, index }))
    .filter((rule) => ruleMatches(rule.match, reference));
}

function diffEnv(before: ComposeResult, after: ComposeResult): PackageReport["env"] {
  const keys = [...new Set([...before.changed, ...after.changed, ...before.unset, ...after.unset])].sort();
  return keys
    .filter((key) => before.env[key] !== after.env[key])
    .map((key) => ({
      key,
      ...(before.env[key] === undefined ? {} : { before: before.env[key] }),
      ...(after.env[key] === undefined ? {} : { after: after.env[key] }),
    }));
}

function renderReports(reports: PackageReport[]): string {
  const lines: string[] = [];
  for (const report of reports) {
    lines.push(report.reference);
    lines.push(report.rules.length === 0 ? "  no rule matches" : "  matching rules:");
    for (const rule of report.rules) {
      lines.push(`    #${rule.index} "${rule.match}"${rule.required ? "" : " (optional)"} -> ${rule.packages.join(", ") || "(no packages)"}`);
    }
    if (report.companions.length > 0) lines.push("  companions:");
    for (const companion of report.companions) lines.push(`    ${companion.reference} ${companion.digest} (patches ${companion.patches})`);
    lines.push(report.env.length === 0 ? "  env: unchanged" : "  env:");
    for (const change of report.env) {
      lines.push(`    ${change.key}`);
      lines.push(`      - ${change.before ?? "(unset)"}`);
      lines.push(`      + ${change.after ?? "(unset)"}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/**
 * A --replace that names no patch repository of these packages would leave
 * the published descriptor in place and show the operator the wrong diff.
 */
function checkReplaced(replace: string, sources: { registry: string; path?: string }[], roots: Reference[]): void {
  const wanted = replace.replace(/(:__ocx\.patch)?\/*$/, "");
  const known = new Set<string>();
  for (const source of sources) {
    const global = globalPatchRepository(source);
    known.add(`${global.registry}/${global.repository}`);
    for (const root of roots) {
      const place = patchRepositoryFor(source, root);
      known.add(`${place.registry}/${place.repository}`);
    }
  }
  if (known.has(wanted)) return;
  throw usageError(
    `--replace "${replace}" is not a patch repository of these packages`,
    known.size === 0 ? "configure [patches] first" : `use one of: ${[...known].join(", ")}`,
  );
}
