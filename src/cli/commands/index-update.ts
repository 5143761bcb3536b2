import type { CAC } from "cac";
import { isOcxError } from "../../error/index.ts";
import { OCI_MANIFEST_NOT_FOUND } from "../../oci/errors.ts";
import { formatReference, parseReference, type Reference } from "../../oci/reference.ts";
import { PATCH_TAG } from "../../patch/patch-repository.ts";
import { log } from "../../report/reporter.ts";
import { requireOnline } from "../arguments.ts";
import type { CommandRunner } from "../context.ts";

interface SyncOutcome {
  reference: string;
  status: "synced" | "removed" | "failed";
  digest?: string;
  error?: { code: string; message: string };
}

export function registerIndexUpdate(cli: CAC, run: CommandRunner): void {
  cli
    .command("index update [...references]", "Re-sync tags and their patch index from the registries (all synced tags when none are named)")
    .action(
      run(async (ctx, references: string[]) => {
        const session = await ctx.openSession({ isRefreshing: true });
        requireOnline(session.isOffline, "update the index");
        const targets: Reference[] = references.length > 0
          ? references.map(parseReference)
          : (await session.index.knownTags())
              .filter((entry) => entry.tag !== PATCH_TAG)
              .map((entry) => ({ ...entry, digest: undefined }));

        // One failing tag does not stop the others; the exit code reports it.
        const outcomes: SyncOutcome[] = [];
        let exitCode = 0;
        for (const reference of targets) {
          const name = formatReference(reference);
          try {
            // Planning with refresh asks the registry for the tag and the patch
            // sources for their descriptors again; nothing is downloaded.
            const graph = await session.plan([reference], { refresh: true });
            const root = graph.nodes.get(graph.roots[0]!)!.package;
            await session.resolver.recordTag(root);
            outcomes.push({ reference: name, status: "synced", digest: root.digest });
          } catch (error) {
            if (!isOcxError(error)) throw error;
            if (error.code === OCI_MANIFEST_NOT_FOUND && error.message.includes(name) && reference.tag !== undefined) {
              await session.index.record(reference.registry, reference.repository, reference.tag, undefined);
              log(ctx.reporter, "info", `removed ${name} from the local index: the registry no longer has it`);
              outcomes.push({ reference: name, status: "removed" });
              continue;
            }
            log(ctx.reporter, "error", `${name}: ${error.message}`);
            outcomes.push({ reference: name, status: "failed", error: { code: error.code, message: error.message } });
            exitCode ||= error.exitCode;
          }
        }
        if (ctx.isJson) {
          ctx.stdout(`${JSON.stringify({ outcomes }, null, 2)}\n`);
        } else {
          for (const outcome of outcomes) ctx.stdout(`${outcome.status.padEnd(7)} ${outcome.reference}${outcome.digest ? ` ${outcome.digest}` : ""}\n`);
        }
        return exitCode;
      }),
    );
}
