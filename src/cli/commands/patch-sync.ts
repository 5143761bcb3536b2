import { writeFile } from "node:fs/promises";
import type { CAC } from "cac";
import { ExitCode } from "../../error/index.ts";
import { MediaType } from "../../oci/media-types.ts";
import { log } from "../../report/reporter.ts";
import { freezePatches, knownPatchRepositories } from "../../resolve/freeze-patches.ts";
import { requireOnline } from "../arguments.ts";
import type { CommandRunner } from "../context.ts";

interface SyncOutcome {
  repository: string;
  status: "synced" | "none" | "failed";
  digest?: string;
  reason?: string;
}

export function registerPatchSync(cli: CAC, run: CommandRunner): void {
  cli
    .command("patch sync", "Refresh every patch descriptor this home knows from the patch registries")
    .action(
      run(async (ctx) => {
        const session = await ctx.openSession({ isRefreshing: true });
        requireOnline(session.isOffline, "sync patches");
        const outcomes: SyncOutcome[] = [];
        for (const reference of await knownPatchRepositories(session)) {
          const repository = `${reference.registry}/${reference.repository}`;
          const state = await session.artifacts.read(reference, { layerMediaType: MediaType.ocxPatchDescriptor, refresh: true });
          if (state.state === "present") outcomes.push({ repository, status: "synced", digest: state.digest });
          else if (state.state === "absent") outcomes.push({ repository, status: "none" });
          else {
            log(ctx.reporter, "error", `${repository}: ${state.reason}`);
            outcomes.push({ repository, status: "failed", reason: state.reason });
          }
        }
        if (ctx.isJson) ctx.stdout(`${JSON.stringify({ outcomes }, null, 2)}\n`);
        else for (const outcome of outcomes) ctx.stdout(`${outcome.status.padEnd(6)} ${outcome.repository}${outcome.digest ? ` ${outcome.digest}` : ""}\n`);
        return outcomes.some((outcome) => outcome.status === "failed") ? ExitCode.unavailable : ExitCode.ok;
      }),
    );

  cli
    .command("patch freeze", "Write a snapshot of the resolved patch descriptor and companion digests")
    .option("--output <file>", "Write the snapshot to FILE instead of stdout")
    .example("ocx patch sync && ocx patch freeze --output patches.lock.json")
    .action(
      run(async (ctx, options: { output?: string }) => {
        const session = await ctx.openSession();
        const snapshot = await freezePatches(session);
        const text = `${JSON.stringify(snapshot, null, 2)}\n`;
        if (options.output === undefined) {
          ctx.stdout(text);
          return;
        }
        await writeFile(options.output, text);
        const count = Object.keys(snapshot.descriptors).length;
        log(ctx.reporter, "info", `wrote ${options.output}: ${count} descriptors, ${Object.keys(snapshot.companions).length} companions; name it in the config as patch-snapshot = "${options.output}"`);
        if (ctx.isJson) ctx.stdout(`${JSON.stringify({ output: options.output, snapshot }, null, 2)}\n`);
      }),
    );
}
