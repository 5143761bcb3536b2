import type { CAC } from "cac";
import { ExitCode } from "../../error/index.ts";
import { verifyStore } from "../../store/verify.ts";
import type { CommandRunner } from "../context.ts";

export function registerVerify(cli: CAC, run: CommandRunner): void {
  cli
    .command("verify", "Re-check the digests of every installed object and report what is broken")
    .action(
      run(async (ctx) => {
        const session = await ctx.openSession();
        const result = await verifyStore(session.layout);
        if (ctx.isJson) {
          ctx.stdout(`${JSON.stringify({ ok: result.problems.length === 0, ...result }, null, 2)}\n`);
        } else {
          for (const problem of result.problems) {
            ctx.stdout(`${problem.kind} ${problem.digest ?? problem.path}: ${problem.message}\n`);
          }
          const summary = result.problems.length === 0 ? "no problems" : `${result.problems.length} problem(s)`;
          ctx.stdout(`checked ${result.objects} object(s): ${summary}\n`);
          if (result.problems.some((problem) => problem.kind === "broken-object")) {
            ctx.reporter.emit({ kind: "log", level: "warn", message: "remove each broken object folder, then run `ocx install` again for the packages that used it" });
          }
        }
        return result.problems.length === 0 ? ExitCode.ok : ExitCode.dataError;
      }),
    );
}
