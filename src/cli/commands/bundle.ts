import { existsSync } from "node:fs";
import type { CAC } from "cac";
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { isOcxError } from "../../error/index.ts";
import { currentPlatform } from "../../oci/platform.ts";
import { log } from "../../report/reporter.ts";
import { parsePlatform, requireOnline, requireReferences, toArray, usageError } from "../arguments.ts";
import type { CommandRunner } from "../context.ts";

export function registerBundle(cli: CAC, run: CommandRunner): void {
  cli
    .command("bundle export [...references]", "Write packages, dependencies, patch descriptors and companions as an OCI image layout")
    .option("--output <path>", "A folder, or a file ending in .tar")
    .option("--platform <os/arch>", "Platforms to carry (repeat); default: this host's")
    .option("--missing-from <inventory>", "Leave out blobs an `ocx bundle inventory` file lists")
    .example("ocx bundle export localhost:5000/tools/jq:1.7 --output jq-bundle.tar")
    .action(
      run(async (ctx, references: string[], options: { output?: string; platform?: unknown; missingFrom?: string }) => {
        const roots = requireReferences(references, "bundle export");
        if (!options.output) throw usageError("ocx bundle export needs --output DIR|FILE.tar", "example: ocx bundle export REF --output bundle.tar");
        const session = await ctx.openSession({ isRefreshing: true });
        requireOnline(session.isOffline, "export a bundle");
        const platforms = toArray(options.platform).map(parsePlatform);
        const { exportBundle } = await import("../../bundle/export-bundle.ts");
        const { LayoutWriter } = await import("../../oci/image-layout.ts");
        const { readInventory } = await import("../../bundle/inventory.ts");
        const missingFrom = options.missingFrom ? await readInventory(options.missingFrom) : undefined;

        const output = resolve(ctx.cwd, options.output);
        const isTar = output.endsWith(".tar");
        await refuseExistingOutput(output, isTar);
        if (isTar) await mkdir(session.layout.tempRoot(), { recursive: true });
        const dir = isTar ? await mkdtemp(join(session.layout.tempRoot(), `bundle-${process.pid}-`)) : output;
        try {
          await mkdir(dir, { recursive: true });
          const writer = new LayoutWriter(dir);
          const result = await exportBundle(session, roots, writer, {
            platforms: platforms.length > 0 ? platforms : [currentPlatform()],
            ...(missingFrom ? { missingFrom } : {}),
          });
          if (isTar) {
            const { packLayout } = await import("../../oci/layout-tar.ts");
            await packLayout(dir, output);
          }
          if (ctx.isJson) {
            ctx.stdout(`${JSON.stringify({ output, ...result }, null, 2)}\n`);
            return;
          }
          for (const entry of result.entries) ctx.stdout(`${entry.role.padEnd(10)} ${entry.reference} ${entry.digest}\n`);
          ctx.stdout(`wrote ${output} (${result.bytes} bytes of blobs${result.skipped ? `, ${result.skipped} left out as already held` : ""})\n`);
        } finally {
          if (isTar) await rm(dir, { recursive: true, force: true });
        }
      }),
    );

  cli
    .command("bundle import <path>", "Verify a bundle (OCI image layout folder or .tar) and add it to the store for offline use")
    .example("ocx bundle import jq-bundle.tar")
    .action(
      run(async (ctx, path: string) => {
        const session = await ctx.openSession({ isOffline: true });
        const { importBundle } = await import("../../bundle/import-bundle.ts");
        const { LayoutReader } = await import("../../oci/image-layout.ts");
        const source = resolve(ctx.cwd, path);
        const isFile = await stat(source).then((info) => info.isFile(), () => false);
        let dir = source;
        if (isFile) {
          await mkdir(session.layout.tempRoot(), { recursive: true });
          dir = await mkdtemp(join(session.layout.tempRoot(), `bundle-${process.pid}-`));
        }
        try {
          if (isFile) await unpack(source, dir);
          const result = await importBundle(session, new LayoutReader(dir), source);
          // Building each root's graph offline links it and records back-references.
          for (const root of result.roots) {
            try {
              await session.install(await session.plan([root]));
            } catch (error) {
              log(ctx.reporter, "warn", `imported, but not usable offline on this host: ${isOcxError(error) ? error.message : String(error)}`);
            }
          }
          if (ctx.isJson) {
            ctx.stdout(`${JSON.stringify(result, null, 2)}\n`);
            return;
          }
          for (const entry of result.entries) ctx.stdout(`${entry.role.padEnd(10)} ${entry.reference} ${entry.digest}\n`);
          ctx.stdout(`imported ${result.entries.length} entries, ${result.installed} new object(s)\n`);
        } finally {
          if (isFile) await rm(dir, { recursive: true, force: true });
        }
      }),
    );

  cli
    .command("bundle inventory", "Write the digests this home holds, for `bundle export --missing-from`")
    .option("--output <file>", "Write to FILE instead of stdout")
    .action(
      run(async (ctx, options: { output?: string }) => {
        const session = await ctx.openSession({ isOffline: true });
        const { takeInventory } = await import("../../bundle/inventory.ts");
        const text = `${JSON.stringify(await takeInventory(session.layout), null, 2)}\n`;
        if (options.output) await writeFile(resolve(ctx.cwd, options.output), text);
        else ctx.stdout(text);
      }),
    );
}

async function unpack(file: string, dir: string): Promise<void> {
  const { unpackLayout } = await import("../../oci/layout-tar.ts");
  const { bundleInvalid } = await import("../../bundle/errors.ts");
  try {
    await unpackLayout(file, dir);
  } catch (error) {
    if (isOcxError(error)) throw error;
    throw bundleInvalid(file, (error as Error).message);
  }
}

/** Export never overwrites: an existing file or a non-empty folder is a usage error. */
async function refuseExistingOutput(output: string, isTar: boolean): Promise<void> {
  if (isTar && !existsSync(dirname(output))) {
    throw usageError(`the folder of the bundle output "${output}" does not exist`, "create the folder first, or choose another path");
  }
  let entries: string[] | undefined;
  try {
    entries = isTar ? [] : await readdir(output);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    if ((error as NodeJS.ErrnoException).code !== "ENOTDIR") throw error;
  }
  if (!isTar && entries !== undefined && entries.length === 0) return;
  if (isTar && !existsSync(output)) return;
  throw usageError(`the bundle output "${output}" already exists`, "choose a new path, or remove the old bundle first");
}
