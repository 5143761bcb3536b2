import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestRegistry {
  /** `127.0.0.1:PORT`, as it appears in references. */
  host: string;
  url: string;
  storage: string;
  stop(): Promise<void>;
}

export interface StartRegistryOptions {
  /** Contents of an htpasswd file (bcrypt entries); enables Basic auth. */
  htpasswd?: string;
  /**
   * Serve HTTPS with this certificate and key (PEM). `ca` is what the
   * helper trusts while waiting for the registry to answer.
   */
  tls?: { cert: string; key: string; ca: string };
  /** Extra top-level config lines, e.g. a token server's `auth:` block. */
  extraConfig?: string;
}

const STARTUP_DEADLINE_MS = 10_000;

/**
 * Starts Debian's `docker-registry` (distribution 2.8) on a free loopback
 * port with storage in a fresh temporary directory.
 */
export async function startRegistry(
  options: StartRegistryOptions = {},
): Promise<TestRegistry> {
  const directory = await mkdtemp(join(tmpdir(), "ocx-registry-"));
  const storage = join(directory, "storage");
  const port = await findFreePort();
  const host = `127.0.0.1:${port}`;

  const auth =
    options.htpasswd === undefined
      ? ""
      : await writeHtpasswd(directory, options.htpasswd);
  const tls = options.tls === undefined ? "" : await writeTls(directory, options.tls);
  const config = [
    "version: 0.1",
    "log:",
    "  level: warn",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${storage}`,
    "  delete:",
    "    enabled: true",
    "http:",
    `  addr: ${host}`,
    tls,
    auth,
    options.extraConfig ?? "",
  ].join("\n");
  await writeFile(join(directory, "config.yml"), config);

  const child = Bun.spawn(
    ["docker-registry", "serve", join(directory, "config.yml")],
    {
      stdout: "ignore",
      stderr: "pipe",
    },
  );
  const stop = async () => {
    child.kill();
    await child.exited;
    await rm(directory, { recursive: true, force: true });
  };

  const url = `${options.tls ? "https" : "http"}://${host}`;
  try {
    await waitUntilAnswering(`${url}/v2/`, child, options.tls?.ca);
  } catch (error) {
    await stop();
    throw error;
  }
  return { host, url, storage, stop };
}

/** Returns an htpasswd line for `user`, made by Apache's `htpasswd -B`. */
export async function makeHtpasswd(
  user: string,
  password: string,
): Promise<string> {
  const result = Bun.spawnSync(["htpasswd", "-Bbn", user, password]);
  if (result.exitCode !== 0)
    throw new Error(`htpasswd failed: ${result.stderr.toString()}`);
  return result.stdout.toString().trim();
}

async function writeHtpasswd(
  directory: string,
  contents: string,
): Promise<string> {
  const path = join(directory, "htpasswd");
  await writeFile(path, `${contents.trim()}\n`);
  return [
    "auth:",
    "  htpasswd:",
    "    realm: test-realm",
    `    path: ${path}`,
  ].join("\n");
}

/** Lines for `http:` of the registry config; distribution reads PEM files. */
async function writeTls(
  directory: string,
  tls: { cert: string; key: string },
): Promise<string> {
  await writeFile(join(directory, "server.pem"), tls.cert);
  await writeFile(join(directory, "server.key"), tls.key);
  return [
    "  tls:",
    `    certificate: ${join(directory, "server.pem")}`,
    `    key: ${join(directory, "server.key")}`,
  ].join("\n");
}

async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilAnswering(
  url: string,
  child: Bun.Subprocess,
  ca?: string,
): Promise<void> {
  const deadline = Date.now() + STARTUP_DEADLINE_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      const stderr =
        child.stderr instanceof ReadableStream
          ? await new Response(child.stderr).text()
          : "";
      throw new Error(
        `docker-registry exited with ${child.exitCode}: ${stderr}`,
      );
    }
    const answered = await fetch(url, {
      signal: AbortSignal.timeout(1000),
      ...(ca ? { tls: { ca } } : {}),
    })
      .then((response) => response.status === 200 || response.status === 401)
      .catch(() => false);
    if (answered) return;
    await Bun.sleep(50);
  }
  throw new Error(
    `docker-registry did not answer ${url} within ${STARTUP_DEADLINE_MS} ms`,
  );
}
