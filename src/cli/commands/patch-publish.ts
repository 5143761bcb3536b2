import type { CAC } from "cac";
import { parseReference } from "../../oci/reference.ts";
import { patchRepositoryFor } from "../../patch/patch-repository.ts";
import { publishPatch } from "../../publish/publish-patch.ts";
import { requireOnline, usageError } from "../arguments.ts";
import type { CommandRunner } from "../context.ts";

export function registerPatchPublish(cli: CAC, run: CommandRunner): void {
  cli
    .command("patch publish <descriptor> [repository]", "Validate a patch descriptor and push it as the __ocx.patch tag")
    .option("--for <reference>", "Publish for this package, at the path the [patches] config gives")
    .example("ocx patch publish rules.json localhost:5000/ocx-patches/global")
    .example("ocx patch publish rules.json --for localhost:5000/tools/node:22")
    .action(
      run(async (ctx, file: string, repository: string | undefined, options: { for?: string }) => {
        const session = await ctx.openSession();
        requireOnline(session.isOffline, "publish");
        let target;
        if (repository !== undefined) {
          target = parseReference(repository);
          if (repository.includes("@") || /:[^/]*$/.test(repository.slice(repository.indexOf("/")))) {
            throw usageError(`the patch repository "${repository}" must not carry a tag or digest`, "descriptors are always published at the __ocx.patch tag; name the repository only");
          }
        } else if (options.for !== undefined) {
          const source = session.config.patches[0];
          if (source === undefined) throw usageError("--for needs a [patches] registry in the config", "add [patches] registry = \"host/ocx-patches\" to config.toml, or name the repository");
          target = { ...patchRepositoryFor(source, parseReference(options.for)), tag: undefined, digest: undefined };
        } else {
          throw usageError("ocx patch publish needs a repository or --for", "example: ocx patch publish rules.json localhost:5000/ocx-patches/global");
        }
        const result = await publishPatch(session.client, { file, repository: target });
        ctx.stdout(ctx.isJson ? `${JSON.stringify(result, null, 2)}\n` : `${result.reference} ${result.digest}\n`);
      }),
    );
}
