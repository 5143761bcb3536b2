import type { CAC } from "cac";
import { rm } from "node:fs/promises";
import { ExitCode, OcxError } from "../../error/index.ts";
import { formatReference, type Reference } from "../../oci/reference.ts";
import type { Session } from "../../resolve/session.ts";
import { STORE_NOT_INSTALLED } from "../../store/errors.ts";
import { listLinks } from "../../store/store-walk.ts";
import { requireReferences } from "../arguments.ts";
import type { CommandRunner } from "../context.ts";
import { collect, printGarbage } from "./clean.ts";

export function registerUninstall(cli: CAC, run: CommandRunner): void {
  cli
    .command("uninstall [...references]", "Remove installs, then collect what nothing else refers to")
    .example("ocx uninstall localhost:5000/tools/jq:1.7")
    .action(
      run(async (ctx, references: string[]) => {
        const targets = requireReferences(references, "uninstall");
        const session = await ctx.openSession();
        const links = await installLinksOf(session, targets);
        const garbage = await collect(session, false, async () => {
          for (const link of links) await rm(link, { force: true });
        });
        printGarbage(ctx, garbage, false);
      }),
    );
}

/** The install links naming each reference; every one must exist. */
async function installLinksOf(session: Session, targets: Reference[]): Promise<string[]> {
  const { layout } = session;
  const found: string[] = [];
  const installs = await listLinks(layout, "installs");
  for (const reference of targets) {
    const paths = reference.tag !== undefined && reference.digest === undefined
      ? [layout.installLink(reference.registry, reference.repository, reference.tag)]
      : installs
          .filter((link) => link.digest === reference.digest && link.path.startsWith(layout.installLink(reference.registry, reference.repository, "")))
          .map((link) => link.path);
    const existing = paths.filter((path) => installs.some((link) => link.path === path));
    if (existing.length === 0) {
      throw new OcxError(STORE_NOT_INSTALLED, `cannot uninstall "${formatReference(reference)}": it is not installed`, {
        hint: "dependencies and companions go with the last install that needs them; see `ocx clean --dry-run`",
        exitCode: ExitCode.unavailable,
      });
    }
    found.push(...existing);
  }
  return found;
}
