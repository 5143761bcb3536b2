import type { CAC } from "cac";
import type { Session } from "../../resolve/session.ts";
import { collectGarbage, patchPrefixesOf, type GarbageItem } from "../../store/collector.ts";
import type { CommandContext, CommandRunner } from "../context.ts";

export function registerClean(cli: CAC, run: CommandRunner): void {
  cli
    .command("clean", "Remove objects no install, dependent, patched base or patch config refers to, and leftovers of killed processes")
    .option("--dry-run", "List what would go and how many bytes, remove nothing")
    .example("ocx clean --dry-run")
    .action(
      run(async (ctx, options: { dryRun?: boolean }) => {
        const session = await ctx.openSession();
        const isDryRun = options.dryRun === true;
        const garbage = await collect(session, isDryRun);
        printGarbage(ctx, garbage, isDryRun);
      }),
    );
}

/** Collects under the exclusive store lock, sparing what running processes use. */
export function collect(session: Session, isDryRun: boolean, before?: () => Promise<void>): Promise<GarbageItem[]> {
  return session.users.exclusive(async (usage) => {
    await before?.();
    return collectGarbage(session.layout, {
      pinned: usage.pinned,
      patchPrefixes: patchPrefixesOf(session.config.patches.map((source) => source.registry)),
      isDryRun,
    });
  });
}

export function printGarbage(ctx: CommandContext, garbage: GarbageItem[], isDryRun: boolean): void {
  const bytes = garbage.reduce((sum, item) => sum + item.bytes, 0);
  if (ctx.isJson) {
    ctx.stdout(`${JSON.stringify({ dryRun: isDryRun, removed: garbage, bytes }, null, 2)}\n`);
    return;
  }
  for (const item of garbage) {
    ctx.stdout(`${isDryRun ? "would remove" : "removed"} ${item.kind} ${item.digest ?? item.path} (${formatBytes(item.bytes)}): ${item.reason}\n`);
  }
  ctx.stdout(`${isDryRun ? "would free" : "freed"} ${formatBytes(bytes)} in ${garbage.length} item${garbage.length === 1 ? "" : "s"}\n`);
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
