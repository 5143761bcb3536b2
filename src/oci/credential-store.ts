import { chmod, mkdir, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { ExitCode, OcxError } from "../error/index.ts";
import type { Credentials } from "./docker-config.ts";
import { normalizeAuthKey } from "./docker-config.ts";

export const OCI_CREDENTIAL_STORE_FAILED = "OCI_CREDENTIAL_STORE_FAILED";

export interface CredentialStoreOptions {
  env: Record<string, string | undefined>;
}

/** Where a login was stored: the config file, or a credential helper. */
export interface StoredLocation {
  configPath: string;
  helper?: string;
}

const HELPER_TIMEOUT_MS = 60_000;

/**
 * Stores credentials the way `docker login` does, so docker, skopeo and
 * ocx share one login: with the credential helper the docker config
 * names for the registry (`credHelpers`, then `credsStore`), else as an
 * `auths` entry. The file is rewritten whole with mode 0600, keeping
 * every key ocx does not know.
 */
export async function storeDockerCredentials(
  registry: string,
  credentials: Credentials,
  options: CredentialStoreOptions,
): Promise<StoredLocation> {
  const configPath = dockerConfigPath(options.env);
  const config = await readRawConfig(configPath);
  const helper = helperFor(config, registry);
  const auths = dropEntries(config.auths, registry);

  if (helper) {
    const payload = JSON.stringify({
      ServerURL: registry,
      Username: credentials.username,
      Secret: credentials.password,
    });
    await runHelper(helper, "store", payload, options.env);
    // docker leaves an empty entry, so `docker logout` knows the host.
    auths[registry] = {};
  } else {
    const auth = Buffer.from(
      `${credentials.username}:${credentials.password}`,
    ).toString("base64");
    auths[registry] = { auth };
  }
  await writeRawConfig(configPath, { ...config, auths });
  return { configPath, ...(helper ? { helper } : {}) };
}

/**
 * Removes what `storeDockerCredentials` stored for `registry`, from the
 * helper and from `auths`. Reports whether anything was stored.
 */
export async function eraseDockerCredentials(
  registry: string,
  options: CredentialStoreOptions,
): Promise<StoredLocation & { wasStored: boolean }> {
  const configPath = dockerConfigPath(options.env);
  const config = await readRawConfig(configPath);
  const helper = helperFor(config, registry);
  const before = Object.keys(config.auths ?? {}).length;
  const auths = dropEntries(config.auths, registry);
  let wasStored = Object.keys(auths).length !== before;

  if (helper) {
    const erased = await runHelper(helper, "erase", registry, options.env, {
      isMissingOk: true,
    });
    wasStored ||= erased;
  }
  if (Object.keys(auths).length !== before)
    await writeRawConfig(configPath, { ...config, auths });
  return { configPath, ...(helper ? { helper } : {}), wasStored };
}

export function dockerConfigPath(
  env: Record<string, string | undefined>,
): string {
  const directory =
    env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), ".docker");
  return join(directory, "config.json");
}

type RawConfig = {
  auths?: Record<string, unknown>;
  credsStore?: unknown;
  credHelpers?: Record<string, unknown>;
  [key: string]: unknown;
};

async function readRawConfig(path: string): Promise<RawConfig> {
  const file = Bun.file(path);
  if (!(await file.exists())) return {};
  let json: unknown;
  try {
    json = JSON.parse(await file.text());
  } catch (error) {
    throw storeFailed(path, "it is not valid JSON", error);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw storeFailed(path, "it is not a JSON object");
  return json as RawConfig;
}

/** Writes beside the target and renames, so a crash never leaves half a file. */
async function writeRawConfig(path: string, config: RawConfig): Promise<void> {
  const directory = join(path, "..");
  const temporary = `${path}.ocx-${process.pid}`;
  try {
    await mkdir(directory, { recursive: true, mode: 0o700 });
    await writeFile(temporary, `${JSON.stringify(config, null, "\t")}\n`, {
      mode: 0o600,
    });
    // writeFile keeps the mode of a file left by an earlier crash.
    await chmod(temporary, 0o600);
    await rename(temporary, path);
  } catch (error) {
    throw storeFailed(path, `cannot write it: ${(error as Error).message}`, error);
  }
}

function helperFor(config: RawConfig, registry: string): string | undefined {
  const specific = config.credHelpers?.[registry];
  if (typeof specific === "string" && specific !== "") return specific;
  return typeof config.credsStore === "string" && config.credsStore !== ""
    ? config.credsStore
    : undefined;
}

/** Every `auths` key naming `registry` (`https://host:port/v2/`, `host:port`, ...) goes. */
function dropEntries(
  auths: Record<string, unknown> | undefined,
  registry: string,
): Record<string, unknown> {
  const wanted = registry.toLowerCase();
  return Object.fromEntries(
    Object.entries(auths ?? {}).filter(
      ([key]) => normalizeAuthKey(key) !== wanted,
    ),
  );
}

/** Runs `docker-credential-<helper> <action>`; returns false for "not found" when allowed. */
async function runHelper(
  helper: string,
  action: "store" | "erase",
  input: string,
  env: Record<string, string | undefined>,
  options: { isMissingOk?: boolean } = {},
): Promise<boolean> {
  const command = `docker-credential-${helper}`;
  let child: Bun.Subprocess<Uint8Array, "pipe", "pipe">;
  try {
    child = Bun.spawn([command, action], {
      env,
      stdin: new TextEncoder().encode(input),
      timeout: HELPER_TIMEOUT_MS,
      stdout: "pipe",
      stderr: "pipe",
    });
  } catch (error) {
    throw helperFailed(command, action, "not found on PATH", error);
  }
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (exitCode === 0) return true;
  if (options.isMissingOk && /credentials not found/i.test(stdout + stderr))
    return false;
  // The helper's own output may echo the secret back, so it is not shown.
  throw helperFailed(command, action, `exit code ${exitCode}`);
}

function helperFailed(
  command: string,
  action: string,
  detail: string,
  cause?: unknown,
): OcxError {
  return new OcxError(
    OCI_CREDENTIAL_STORE_FAILED,
    `credential helper "${command} ${action}" failed: ${detail}`,
    {
      hint: `check that ${command} is installed and works, or remove credsStore/credHelpers from the docker config to store credentials in the file`,
      exitCode: ExitCode.unavailable,
      cause,
    },
  );
}

function storeFailed(path: string, detail: string, cause?: unknown): OcxError {
  return new OcxError(
    OCI_CREDENTIAL_STORE_FAILED,
    `cannot update docker config "${path}": ${detail}`,
    {
      hint: "fix or move the file, or point DOCKER_CONFIG at another folder",
      exitCode: ExitCode.ioError,
      cause,
    },
  );
}
