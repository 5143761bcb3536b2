import type { CAC } from "cac";
import { ExitCode, isOcxError } from "../../error/index.ts";
import type { PatchSourceCheck, RegistryCheck } from "../../doctor/checks.ts";
import type { TlsCheckResult } from "../../doctor/tls-check.ts";
import { parseReference } from "../../oci/reference.ts";
import { usageError } from "../arguments.ts";
import type { CommandRunner } from "../context.ts";

interface DoctorReport {
  config: { status: "ok" | "invalid"; tiers: { name: string; file: string }[]; error?: { code: string; message: string; hint?: string } };
  registries: RegistryCheck[];
  patchSources: PatchSourceCheck[];
  tls?: TlsCheckResult;
}

export function registerDoctor(cli: CAC, run: CommandRunner): void {
  cli
    .command("doctor [url] [...references]", "Check config, registries, the patch index and, for a URL, whether its TLS chain is trusted")
    .usage("doctor [URL [REF...]] [--json]   (REFs: verify with the CA settings of their composed environment)")
    .example("ocx doctor https://git.corp.example localhost:5000/tools/node:22")
    .action(
      run(async (ctx, url: string | undefined, references: string[]) => {
        const target = url === undefined ? undefined : parseHttpsUrl(url);
        const report: DoctorReport = { config: { status: "ok", tiers: [] }, registries: [], patchSources: [] };
        let session;
        try {
          session = await ctx.openSession();
          report.config.tiers = session.config.tiers.map((tier) => ({ name: tier.name, file: tier.file }));
        } catch (error) {
          if (!isOcxError(error)) throw error;
          report.config = { status: "invalid", tiers: [], error: error.toJSON() as DoctorReport["config"]["error"] };
        }
        if (session !== undefined) {
          // Loaded here: node:net and node:tls stay out of every other command's start-up.
          const { checkPatchSources, checkRegistries } = await import("../../doctor/checks.ts");
          const { checkTls } = await import("../../doctor/tls-check.ts");
          report.registries = await checkRegistries(session);
          report.patchSources = await checkPatchSources(session);
          if (target !== undefined) {
            // The patched environment of the packages, as `ocx exec` would give it.
            const graph = await session.plan(references.map(parseReference));
            const { env } = await session.compose(graph, ctx.env);
            report.tls = await checkTls(target, env);
          }
        }
        ctx.stdout(ctx.isJson ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
        return isHealthy(report) ? ExitCode.ok : ExitCode.failure;
      }),
    );
}

function parseHttpsUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError(`invalid URL "${text}"`, "name an https:// URL, e.g. https://git.corp.example");
  }
  if (url.protocol !== "https:") throw usageError(`cannot check TLS of "${text}": the URL is not https://`, "name an https:// URL");
  return url;
}

function isHealthy(report: DoctorReport): boolean {
  return report.config.status === "ok"
    && report.registries.every((check) => check.status === "reachable" || check.status === "skipped")
    && report.patchSources.every((source) => !source.required || source.global !== "never-synced")
    && (report.tls === undefined || report.tls.isTrusted);
}

function renderReport(report: DoctorReport): string {
  const lines: string[] = [];
  const mark = (isOk: boolean) => (isOk ? "ok  " : "FAIL");
  lines.push(`${mark(report.config.status === "ok")} config: ${report.config.status === "ok" ? `${report.config.tiers.length} tier(s) valid` : report.config.error?.message}`);
  for (const tier of report.config.tiers) lines.push(`       ${tier.name} ${tier.file}`);
  for (const check of report.registries) {
    lines.push(`${mark(check.status === "reachable" || check.status === "skipped")} registry ${check.registry}: ${check.status}${check.detail ? ` (${check.detail})` : ""}`);
  }
  for (const source of report.patchSources) {
    const isOk = !source.required || source.global !== "never-synced";
    const flags = [source.required ? "required" : "optional", ...(source.enforced ? ["enforced"] : [])].join(", ");
    lines.push(`${mark(isOk)} patches ${source.registry} (${flags}): global descriptor ${source.global}, ${source.packages.synced} package descriptor(s) synced, ${source.packages.none} without a patch`);
  }
  if (report.tls !== undefined) {
    const { tls } = report;
    const cas = tls.caFiles.length === 0 ? "built-in roots" : tls.caFiles.map((ca) => `${ca.variable}=${ca.file}`).join(", ");
    const verdict = tls.isTrusted ? "trusted" : `untrusted: ${tls.error}`;
    lines.push(`${mark(tls.isTrusted)} tls ${tls.url}: ${verdict}`);
    lines.push(`       CA: ${cas}; server certificate ${tls.subject ?? "?"} issued by ${tls.issuer ?? "?"}`);
  }
  return `${lines.join("\n")}\n`;
}
