import type { CAC } from "cac";
import { ExitCode, OcxError } from "../../error/index.ts";
import { formatReference, parseReference, type Reference } from "../../oci/reference.ts";
import { PATCH_TAG } from "../../resolve/patch-resolver.ts";
import type { CommandRunner } from "../context.ts";

export function registerIndexUpdate(cli: CAC, run: CommandRunner): void {
  cli
    .command("index update [...references]", "Re-sync tags and their patch index from the registries (all synced tags when none are named)")
    .action(
      run(async (ctx, references: string[]) => {
        const session = await ctx.openSession();
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
          const resolved = await session.resolver.resolveRemotely(reference);
          await session.patches.companionsFor(reference, { refresh: true });
          synced.push({ reference: formatReference(reference), digest: resolved.digest });
        }
        if (ctx.isJson) {
          ctx.stdout(`${JSON.stringify({ synced }, null, 2)}\n`);
          return;
        }
        for (const entry of synced) ctx.stdout(`${entry.reference} ${entry.digest}\n`);
      }),
    );
}
