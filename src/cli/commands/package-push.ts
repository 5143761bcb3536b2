import type { CAC } from "cac";
import { parseReference } from "../../oci/reference.ts";
import { requireOnline, parsePlatform, toArray } from "../arguments.ts";
import type { CommandRunner } from "../context.ts";

export function registerPackagePush(cli: CAC, run: CommandRunner): void {
  cli
    .command("package push <dir> <reference>", "Build a package from DIR (metadata.json and files) and push it")
    .option("--platform <os/arch>", "Push for this platform; repeat to push an image index (uses DIR/<os>-<arch>/ when present)")
    .example("ocx package push ./jq localhost:5000/tools/jq:1.7")
    .action(
      run(async (ctx, dir: string, reference: string, options: { platform?: string | string[] }) => {
        const platforms = toArray(options.platform).map(parsePlatform);
        const target = parseReference(reference);
        const session = await ctx.openSession();
        requireOnline(session.isOffline, "publish");
        // Loaded on demand: layer building pulls in zlib and tar-stream.
        const { pushPackage } = await import("../../publish/push-package.ts");
        const result = await pushPackage(session.client, { dir, reference: target, platforms, reporter: ctx.reporter });
        ctx.stdout(ctx.isJson ? `${JSON.stringify(result, null, 2)}\n` : `${result.reference} ${result.digest}\n`);
      }),
    );
}
