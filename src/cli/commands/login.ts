import type { CAC } from "cac";
import { normalizeAuthKey } from "../../oci/docker-config.ts";
import { usageError } from "../arguments.ts";
import type { CommandRunner } from "../context.ts";
import { promptLine, readPasswordFromStdin } from "../prompt.ts";

interface LoginOptions {
  username?: string;
  passwordStdin?: boolean;
}

export function registerLogin(cli: CAC, run: CommandRunner): void {
  cli
    .command("login <registry>", "Check credentials against a registry and store them in the docker config")
    .option("-u, --username <name>", "User name (asked for on a terminal when missing)")
    .option("--password-stdin", "Read the password from stdin")
    .example("echo \"$TOKEN\" | ocx login corp.example:5000 -u ci --password-stdin")
    .action(
      run(async (ctx, registryArgument: string, options: LoginOptions) => {
        const registry = normalizeAuthKey(registryArgument);
        const credentials = await readCredentials(registry, options);
        const session = await ctx.openSession();
        session.useCredentials(registry, credentials);
        await session.client.checkLogin(registry);

        const { storeDockerCredentials } = await import("../../oci/credential-store.ts");
        const stored = await storeDockerCredentials(registry, credentials, { env: ctx.env });
        const where = stored.helper ? `credential helper "${stored.helper}"` : stored.configPath;
        if (ctx.isJson) {
          const result = { registry, username: credentials.username, stored: stored.helper ? { helper: stored.helper } : { file: stored.configPath } };
          ctx.stdout(`${JSON.stringify(result, null, 2)}\n`);
          return;
        }
        ctx.stdout(`logged in to ${registry} as ${credentials.username} (stored in ${where})\n`);
      }),
    );
}

export function registerLogout(cli: CAC, run: CommandRunner): void {
  cli
    .command("logout <registry>", "Remove the credentials stored for a registry")
    .action(
      run(async (ctx, registryArgument: string) => {
        const registry = normalizeAuthKey(registryArgument);
        const { eraseDockerCredentials } = await import("../../oci/credential-store.ts");
        const result = await eraseDockerCredentials(registry, { env: ctx.env });
        if (ctx.isJson) {
          ctx.stdout(`${JSON.stringify({ registry, removed: result.wasStored }, null, 2)}\n`);
          return;
        }
        ctx.stdout(result.wasStored ? `logged out of ${registry}\n` : `not logged in to ${registry}\n`);
      }),
    );
}

async function readCredentials(registry: string, options: LoginOptions) {
  const isTerminal = process.stdin.isTTY === true;
  let username = options.username;
  if (username === undefined && isTerminal) username = await promptLine(`Username for ${registry}: `);
  if (!username) {
    throw usageError(`missing user name for "${registry}"`, "pass it with -u NAME");
  }
  let password: string;
  if (options.passwordStdin) password = await readPasswordFromStdin();
  else if (isTerminal) password = await promptLine("Password: ", { isHidden: true });
  else {
    throw usageError(
      `missing password for "${registry}": stdin is not a terminal, so ocx cannot prompt`,
      "pipe the password in with --password-stdin; it is never accepted as an argument, where ps would show it",
    );
  }
  if (password === "") throw usageError(`empty password for "${registry}"`, "pipe a non-empty password in with --password-stdin");
  return { username, password };
}
