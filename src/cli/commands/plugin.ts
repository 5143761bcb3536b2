import type { CAC } from "cac";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { usageError } from "../arguments.ts";
import type { CommandRunner } from "../context.ts";
import { PLUGIN_TYPES, starterPlugin, starterTest } from "../plugin-templates.ts";

const HOOKS = ["patchSources", "edges", "transformEnv", "rewriteReference", "requestHeaders"] as const;

export function registerPlugin(cli: CAC, run: CommandRunner): void {
  cli
    .command("plugin list", "List loaded plugins, where each comes from, and its hooks")
    .action(
      run(async (ctx) => {
        const session = await ctx.openSession();
        const plugins = session.plugins.plugins.map(({ plugin, origin }) => ({
          name: plugin.name,
          origin,
          hooks: HOOKS.filter((hook) => plugin[hook] !== undefined),
          patchSources: (plugin.patchSources ?? []).map((source) => source.name),
        }));
        if (ctx.isJson) {
          ctx.stdout(`${JSON.stringify({ plugins }, null, 2)}\n`);
          return;
        }
        for (const plugin of plugins) {
          ctx.stdout(`${plugin.name.padEnd(16)} ${plugin.origin}\n  hooks: ${plugin.hooks.join(", ") || "none"}\n`);
        }
      }),
    );

  cli
    .command("plugin new <name>", "Write a commented starter plugin, its test and the API types into a new folder")
    .option("--dir <dir>", "Parent folder (default: the current folder)")
    .example("ocx plugin new corp-mirror && ocx plugin list")
    .action(
      run(async (ctx, name: string, options: { dir?: string }) => {
        if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) {
          throw usageError(`invalid plugin name "${name}"`, "use lowercase letters, digits, ., _ and -");
        }
        const folder = resolve(ctx.cwd, options.dir ?? ".", name);
        if (existsSync(folder)) throw usageError(`"${folder}" already exists`, "choose another name or --dir");
        await mkdir(folder, { recursive: true });
        const files = {
          [`${name}.ts`]: starterPlugin(name),
          [`${name}.test.ts`]: starterTest(name),
          "ocx-plugin.d.ts": PLUGIN_TYPES,
        };
        for (const [file, text] of Object.entries(files)) await writeFile(join(folder, file), text);
        const written = Object.keys(files).map((file) => join(folder, file));
        if (ctx.isJson) {
          ctx.stdout(`${JSON.stringify({ folder, files: written }, null, 2)}\n`);
          return;
        }
        ctx.stdout(`${written.join("\n")}\n`);
        ctx.reporter.emit({
          kind: "log",
          level: "info",
          message: `load it by adding [plugins] paths = ["${join(folder, `${name}.ts`)}"] to config.toml, or copy it into $OCX_HOME/plugins/`,
        });
      }),
    );
}
