import type { CAC } from "cac";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { resolveHome } from "../../config/home.ts";
import { findProjectFile, parseConfigText } from "../../config/load-config.ts";
import { ProjectFileSchema } from "../../config/schema.ts";
import { TrustStore } from "../../config/trust.ts";
import { usageError } from "../arguments.ts";
import type { CommandContext, CommandRunner } from "../context.ts";

export function registerTrust(cli: CAC, run: CommandRunner): void {
  cli
    .command("trust [file]", "Trust a project ocx.toml (default: the one found from the current folder) as it is now")
    .action(
      run(async (ctx, file: string | undefined) => {
        const path = projectFile(ctx, file);
        const content = await readFile(path).catch((error: Error) => {
          throw usageError(`cannot read "${path}": ${error.message}`, "name an existing ocx.toml");
        });
        // Trusting a file ocx cannot read would only move the error to every later command.
        parseConfigText(content.toString("utf8"), path, ProjectFileSchema);
        await new TrustStore(resolveHome(ctx.env)).trust(path, content);
        ctx.stdout(ctx.isJson ? `${JSON.stringify({ trusted: path }, null, 2)}\n` : `trusted ${path}\n`);
      }),
    );

  cli
    .command("untrust [file]", "Stop trusting a project ocx.toml")
    .action(
      run(async (ctx, file: string | undefined) => {
        const path = projectFile(ctx, file);
        const wasTrusted = await new TrustStore(resolveHome(ctx.env)).untrust(path);
        if (ctx.isJson) {
          ctx.stdout(`${JSON.stringify({ untrusted: path, wasTrusted }, null, 2)}\n`);
          return;
        }
        ctx.stdout(`${wasTrusted ? "untrusted" : "was not trusted:"} ${path}\n`);
      }),
    );
}

function projectFile(ctx: CommandContext, file: string | undefined): string {
  if (file !== undefined) return resolve(ctx.cwd, file);
  const found = findProjectFile(ctx.cwd);
  if (found === undefined) throw usageError(`no ocx.toml in "${ctx.cwd}" or its parents`, "name the file: ocx trust path/to/ocx.toml");
  return found;
}
