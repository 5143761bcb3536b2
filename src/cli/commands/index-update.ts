import type { CAC } from "cac";
import { ExitCode, OcxError } from "../../error/index.ts";
import { formatReference, parseReference, type Reference } from "../../oci/reference.ts";
import { PATCH_TAG } from "../../patch/patch-repository.ts";
import type { CommandRunner } from "../context.ts";

export function registerIndexUpdate(cli: CAC, run: CommandRunner): void {
  cli
    .command("index update [...references]", "Re-sync tags and their patch index from the registries (all synced tags when none are named)")
    .action(
      run(async (ctx, references: string[]) => {
        const session = await ctx.openSession({ isRefreshing: true });
        if (session.isOffline) {
          throw new OcxError("CLI_OFFLINE", "cannot update the index offline", {
            hint: "run it without --offline and OCX_OFFLINE",
            exitCode: ExitCode.unavailable,
          });
        }
        const targets: Reference[] = references.length > 0
          ? references.map(parseReference)
          : (await session.index.knownTags())
              .filter((entry) => entry.tag !== PATCH_TAG)
              .map((entry) => ({ ...entry, digest: undefined }));
        const synced: { reference: string; digest: string }[] = [];
        for (const reference of targets) {
          // Planning with refresh asks the registry for the tag and the patch
          // sources for their descriptors again; nothing is downloaded.
          const graph = await session.plan([reference], { refresh: true });
          const root = graph.nodes.get(graph.roots[0]!)!.package;
          await session.resolver.recordTag(root);
          synced.push({ reference: formatReference(reference), digest: root.digest });
        }
        if (ctx.isJson) {
          ctx.stdout(`${JSON.stringify({ synced }, null, 2)}\n`);
          return;
        }
        for (const entry of synced) ctx.stdout(`${entry.reference} ${entry.digest}\n`);
      }),
    );
}
