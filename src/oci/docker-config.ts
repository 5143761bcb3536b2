import { homedir } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import { log, silentReporter, type Reporter } from "../report/reporter.ts";

export interface Credentials {
  username: string;
  password: string;
}

export interface DockerConfigOptions {
  /**
   * Environment to read `DOCKER_CONFIG` and `HOME` from, also passed to
   * credential helpers (so its `PATH` finds them). Default `process.env`.
   */
  env?: Record<string, string | undefined>;
  reporter?: Reporter;
}

const AuthEntrySchema = v.object({
  auth: v.optional(v.string()),
  username: v.optional(v.string()),
  password: v.optional(v.string()),
  identitytoken: v.optional(v.string()),
});

const DockerConfigSchema = v.object({
  auths: v.optional(v.record(v.string(), AuthEntrySchema)),
  credsStore: v.optional(v.string()),
  credHelpers: v.optional(v.record(v.string(), v.string())),
});

type DockerConfig = v.InferOutput<typeof DockerConfigSchema>;

// Docker Hub credentials are stored under its historical v1 URL.
const DOCKER_HUB_HOSTS = new Set([
  "docker.io",
  "index.docker.io",
  "registry-1.docker.io",
]);
const DOCKER_HUB_KEY = "https://index.docker.io/v1/";

/**
 * Looks up credentials for `registry` (`host[:port]`) the way the docker CLI
 * does: `credHelpers[registry]` first, then `credsStore`, then the `auth`
 * field of the matching `auths` entry. An empty `auths` entry is what
 * `docker login` leaves beside a credential store, so it never counts as
 * credentials by itself. A missing or broken config means anonymous access.
 */
export async function readDockerCredentials(
  registry: string,
  options: DockerConfigOptions = {},
): Promise<Credentials | undefined> {
  const reporter = options.reporter ?? silentReporter;
  const env = options.env ?? process.env;
  const config = await readDockerConfig(env, reporter);
  if (!config) return undefined;

  const serverUrl = DOCKER_HUB_HOSTS.has(registry) ? DOCKER_HUB_KEY : registry;
  const helper = config.credHelpers?.[registry] ?? config.credsStore;
  if (helper) {
    const fromHelper = await runCredentialHelper(helper, serverUrl, {
      env,
      reporter,
    });
    if (fromHelper) return fromHelper;
  }
  return credentialsFromAuths(config, registry);
}

/** Normalises an `auths` key to `host[:port]`: drops the scheme and any path. */
export function normalizeAuthKey(key: string): string {
  const withoutScheme = key.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
  const host = withoutScheme.split("/", 1)[0] ?? "";
  return host.toLowerCase();
}

async function readDockerConfig(
  env: Record<string, string | undefined>,
  reporter: Reporter,
): Promise<DockerConfig | undefined> {
  const directory = env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), ".docker");
  const path = join(directory, "config.json");
  const file = Bun.file(path);
  if (!(await file.exists())) return undefined;

  let json: unknown;
  try {
    json = JSON.parse(await file.text());
  } catch (error) {
    log(reporter, "warn", `ignoring docker config "${path}": invalid JSON`, {
      path,
    });
    return undefined;
  }
  const result = v.safeParse(DockerConfigSchema, json);
  if (!result.success) {
    log(
      reporter,
      "warn",
      `ignoring docker config "${path}": ${result.issues[0].message}`,
      { path },
    );
    return undefined;
  }
  return result.output;
}

function credentialsFromAuths(
  config: DockerConfig,
  registry: string,
): Credentials | undefined {
  const expectedKey = DOCKER_HUB_HOSTS.has(registry)
    ? "index.docker.io"
    : registry.toLowerCase();
  for (const [key, entry] of Object.entries(config.auths ?? {})) {
    // The port is part of the key: reg.test:5000 never matches reg.test:5443.
    if (normalizeAuthKey(key) !== expectedKey) continue;
    if (entry.auth) return decodeAuthField(entry.auth);
    if (entry.username && entry.password)
      return { username: entry.username, password: entry.password };
    // NOTE: `identitytoken` (an OAuth2 refresh token) is not exchanged yet, so
    // such entries act as anonymous.
  }
  return undefined;
}

function decodeAuthField(auth: string): Credentials | undefined {
  const decoded = Buffer.from(auth, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0) return undefined;
  return {
    username: decoded.slice(0, colon),
    password: decoded.slice(colon + 1),
  };
}

/**
 * Bounds a credential helper run, so a hung helper cannot stall a pull.
 * Chosen to leave time for an interactive keychain unlock prompt.
 */
const HELPER_TIMEOUT_MS = 60_000;

const HelperOutputSchema = v.object({
  Username: v.string(),
  Secret: v.string(),
});

/**
 * Runs `docker-credential-<helper> get` with the server URL on stdin. A
 * helper that fails or is missing is logged and treated as having nothing,
 * so a public repository still pulls anonymously.
 */
async function runCredentialHelper(
  helper: string,
  serverUrl: string,
  context: { env: Record<string, string | undefined>; reporter: Reporter },
): Promise<Credentials | undefined> {
  const { env, reporter } = context;
  const command = `docker-credential-${helper}`;
  let child: Bun.Subprocess<Uint8Array, "pipe", "pipe">;
  try {
    child = Bun.spawn([command, "get"], {
      env,
      stdin: new TextEncoder().encode(serverUrl),
      timeout: HELPER_TIMEOUT_MS,
      stdout: "pipe",
      stderr: "pipe",
    });
  } catch {
    log(reporter, "warn", `credential helper "${command}" not found on PATH`, {
      registry: serverUrl,
    });
    return undefined;
  }

  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (child.signalCode !== null) {
    log(
      reporter,
      "warn",
      `credential helper "${command}" timed out after ${HELPER_TIMEOUT_MS} ms`,
      {
        registry: serverUrl,
      },
    );
    return undefined;
  }
  if (exitCode !== 0) {
    const isNotFound = /credentials not found/i.test(stdout + stderr);
    if (!isNotFound) {
      log(
        reporter,
        "warn",
        `credential helper "${command}" failed with exit code ${exitCode}`,
        {
          registry: serverUrl,
        },
      );
    }
    return undefined;
  }

  const parsed = v.safeParse(HelperOutputSchema, safeJson(stdout));
  if (!parsed.success) {
    log(
      reporter,
      "warn",
      `credential helper "${command}" printed invalid JSON`,
      { registry: serverUrl },
    );
    return undefined;
  }
  // NOTE: Username "<token>" marks an identity token, which is not exchanged yet.
  return { username: parsed.output.Username, password: parsed.output.Secret };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
