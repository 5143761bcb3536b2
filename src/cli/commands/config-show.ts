import type { CAC } from "cac";
import { describeConfig, type ConfigDescription } from "../../config/describe-config.ts";
import { resolveHome } from "../../config/home.ts";
import { loadConfig } from "../../config/load-config.ts";
import { TrustStore } from "../../config/trust.ts";
import type { CommandRunner } from "../context.ts";

export function registerConfigShow(cli: CAC, run: CommandRunner): void {
  cli
    .command("config show", "Print the merged config with the tier and file of each value")
    .action(
      run(async (ctx) => {
        const home = resolveHome(ctx.env);
        const config = await loadConfig({ home, cwd: ctx.cwd, env: ctx.env, trust: new TrustStore(home) });
        const description = describeConfig(config, ctx.env);
        ctx.stdout(ctx.isJson ? `${JSON.stringify(description, null, 2)}\n` : renderDescription(description));
      }),
    );
}

function renderDescription(description: ConfigDescription): string {
  const lines = ["tiers (system, user, project; lower tiers win, [patches] only adds):"];
  if (description.tiers.length === 0) lines.push("  none: no config file was found");
  for (const tier of description.tiers) lines.push(`  ${tier.name.padEnd(8)} ${tier.file}`);
  if (description.ignoredSystemOverride !== undefined) {
    lines.push(`  note: OCX_SYSTEM_CONFIG=${description.ignoredSystemOverride} is ignored because this host has a system config`);
  }
  if (description.untrustedProject !== undefined) {
    lines.push(`  note: ${description.untrustedProject} is ignored until you run \`ocx trust\``);
  }
  for (const file of description.ignoredMirrors ?? []) {
    lines.push(`  note: [mirrors] in ${file} is ignored: with enforced patches only the system config may set mirrors`);
  }
  lines.push("patch sources (applied in this order):");
  if (description.patches.length === 0) lines.push("  none");
  for (const source of description.patches) {
    const flags = [source.required ? "required" : "optional", ...(source.enforced ? ["enforced"] : [])].join(", ");
    const path = source.path === undefined ? "" : ` path=${source.path}`;
    lines.push(`  ${source.registry}${path} (${flags})  [${source.tier}] ${source.file}`);
  }
  lines.push("settings:");
  if (description.values.length === 0) lines.push("  none");
  for (const value of description.values) {
    const note = value.isOverridden ? "  (overridden)" : "";
    lines.push(`  ${value.key} = ${JSON.stringify(value.value)}  [${value.tier}] ${value.file}${note}`);
  }
  return `${lines.join("\n")}\n`;
}
