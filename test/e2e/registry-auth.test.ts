import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { makeTestCa, type TestCa } from "../helpers/certificates.ts";
import { makeHtpasswd, startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { OCX_BINARY, Sandbox, toolPackage, type RunResult } from "./harness.ts";

const PASSWORD = "pa55-Wörd-e2e-7f3c";
let ca: TestCa;
let registry: TestRegistry;
let publisher: Sandbox;

/** Config for a TLS registry on loopback whose CA is in the home folder. */
async function trustRegistry(sandbox: Sandbox): Promise<void> {
  await writeFile(join(sandbox.home, "corp-ca.pem"), ca.caCert);
  await sandbox.writeUserConfig(
    `[registries]\ntls = ["${registry.host}"]\n\n[registries."${registry.host}"]\nca_file = "corp-ca.pem"\n`,
  );
}

async function login(sandbox: Sandbox, password = PASSWORD): Promise<RunResult> {
  return sandbox.run(["login", registry.host, "-u", "alice", "--password-stdin"], { stdin: `${password}\n` });
}

/** Checks the output for the secret, plain and inside a Basic value. */
function expectNoSecret(result: RunResult): void {
  const output = result.stdout + result.stderr;
  expect(output).not.toContain(PASSWORD);
  expect(output).not.toContain(Buffer.from(`alice:${PASSWORD}`).toString("base64"));
}

beforeAll(async () => {
  ca = await makeTestCa("corp root CA");
  registry = await startRegistry({
    htpasswd: await makeHtpasswd("alice", PASSWORD),
    tls: { cert: ca.cert, key: ca.key, ca: ca.caCert },
  });
  publisher = await Sandbox.create();
  await trustRegistry(publisher);
  const loggedIn = await login(publisher);
  if (loggedIn.exitCode !== 0) throw new Error(`login failed: ${loggedIn.stderr}`);
  await publisher.publish(`${registry.host}/team/hello:1.0`, toolPackage("hello", "hello"));
});

afterAll(async () => {
  await publisher?.cleanup();
  await registry?.stop();
});

describe("ocx against docker-registry over TLS with htpasswd", () => {
  test("login checks and stores credentials with mode 0600", async () => {
    const sandbox = await Sandbox.create();
    await trustRegistry(sandbox);

    const result = await login(sandbox);

    expect(result.stdout).toContain(`logged in to ${registry.host} as alice`);
    expect(result.exitCode).toBe(0);
    const configPath = join(sandbox.root, "docker", "config.json");
    expect((await stat(configPath)).mode & 0o777).toBe(0o600);
    const config = await Bun.file(configPath).json();
    expect(Object.keys(config.auths)).toEqual([registry.host]);
    expectNoSecret(result);
    await sandbox.cleanup();
  });

  test("login and logout report as JSON without the secret", async () => {
    const sandbox = await Sandbox.create();
    await trustRegistry(sandbox);

    const login = await sandbox.run(["login", "--json", registry.host, "-u", "alice", "--password-stdin"], { stdin: PASSWORD });
    const logout = JSON.parse(await sandbox.ok(["logout", "--json", registry.host]));
    const again = JSON.parse(await sandbox.ok(["logout", "--json", registry.host]));

    expect(JSON.parse(login.stdout)).toEqual({
      registry: registry.host,
      username: "alice",
      stored: { file: join(sandbox.root, "docker", "config.json") },
    });
    expectNoSecret(login);
    expect(logout).toEqual({ registry: registry.host, removed: true });
    expect(again).toEqual({ registry: registry.host, removed: false });
    await sandbox.cleanup();
  });

  test("installs with the stored login and reports sizes and time", async () => {
    const sandbox = await Sandbox.create();
    await trustRegistry(sandbox);
    await login(sandbox);

    const stdout = await sandbox.ok(["install", "--json", `${registry.host}/team/hello:1.0`]);

    const result = JSON.parse(stdout);
    expect(result.packages[0].identifier).toBe(`${registry.host}/team/hello:1.0`);
    expect(result.packages[0].size).toBeGreaterThan(0);
    expect(result.packages[0].downloaded).toBe(result.packages[0].size);
    expect(typeof result.timeMs).toBe("number");
    await sandbox.cleanup();
  });

  test("keeps the password out of a failed login", async () => {
    const sandbox = await Sandbox.create();
    await trustRegistry(sandbox);

    const result = await sandbox.run(["login", registry.host, "-u", "alice", "--password-stdin", "-vv"], {
      stdin: `${PASSWORD}-wrong\n`,
    });

    expect(result.stderr).toContain("OCI_UNAUTHORIZED");
    expect(result.stdout).toBe("");
    expect(result.exitCode).toBe(69);
    expect(result.stdout + result.stderr).not.toContain(`${PASSWORD}-wrong`);
    expect(await Bun.file(join(sandbox.root, "docker", "config.json")).exists()).toBe(false);
    await sandbox.cleanup();
  });

  test.each([[["-vv"]], [["--json"]], [["--json", "-vv"]]])(
    "keeps the password out of a failing authenticated install with %p",
    async (flags) => {
      const sandbox = await Sandbox.create();
      await trustRegistry(sandbox);
      const stale = Buffer.from(`alice:${PASSWORD}x`).toString("base64");
      await Bun.write(
        join(sandbox.root, "docker", "config.json"),
        JSON.stringify({ auths: { [registry.host]: { auth: stale } } }),
      );

      const result = await sandbox.run(["install", ...flags, `${registry.host}/team/hello:1.0`]);

      expect(result.stdout + result.stderr).toContain("OCI_UNAUTHORIZED");
      expect(result.exitCode).toBe(69);
      expect(result.stdout + result.stderr).not.toContain(`${PASSWORD}x`);
      expect(result.stdout + result.stderr).not.toContain(stale);
      expectNoSecret(result);
      await sandbox.cleanup();
    },
  );

  test("logout removes the login and later pulls are refused", async () => {
    const sandbox = await Sandbox.create();
    await trustRegistry(sandbox);
    await login(sandbox);

    const logout = await sandbox.ok(["logout", registry.host]);
    const install = await sandbox.run(["install", `${registry.host}/team/hello:1.0`]);

    expect(logout).toContain(`logged out of ${registry.host}`);
    expect(install.stderr).toContain(`authentication failed for registry "${registry.host}"`);
    expect(install.exitCode).toBe(69);
    await sandbox.cleanup();
  });

  test("names host, expected CA and config key without the CA", async () => {
    const sandbox = await Sandbox.create();
    await sandbox.writeUserConfig(`[registries]\ntls = ["${registry.host}"]\n`);

    const result = await sandbox.run(["install", `${registry.host}/team/hello:1.0`]);

    expect(result.stderr).toContain(`error[OCI_TLS_UNTRUSTED]: TLS certificate of registry "${registry.host}" is not trusted`);
    expect(result.stderr).toContain("expected a certificate issued by the default CA store");
    expect(result.stderr).toContain(`[registries."${registry.host}"] ca_file`);
    expect(result.exitCode).toBe(69);
    await sandbox.cleanup();
  });

  test("plain HTTP to a TLS loopback registry names the tls key", async () => {
    const sandbox = await Sandbox.create();
    const result = await sandbox.run(["install", `${registry.host}/team/hello:1.0`]);
    expect(result.stderr).toContain("OCI_PLAIN_HTTP_TO_HTTPS");
    expect(result.stderr).toContain(`add "${registry.host}" to tls under [registries]`);
    expect(result.exitCode).toBe(69);
    await sandbox.cleanup();
  });

  test("trusts SSL_CERT_FILE without any CA config", async () => {
    const sandbox = await Sandbox.create();
    await sandbox.writeUserConfig(`[registries]\ntls = ["${registry.host}"]\n`);
    await writeFile(join(sandbox.root, "bundle.pem"), ca.caCert);
    await Bun.write(
      join(sandbox.root, "docker", "config.json"),
      JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from(`alice:${PASSWORD}`).toString("base64") } } }),
    );

    const stdout = await sandbox.ok(["install", `${registry.host}/team/hello:1.0`], {
      env: { SSL_CERT_FILE: join(sandbox.root, "bundle.pem") },
    });

    expect(stdout).toContain(`${registry.host}/team/hello:1.0`);
    await sandbox.cleanup();
  });

  test("login prompts on a terminal without echoing the password", async () => {
    const sandbox = await Sandbox.create();
    await trustRegistry(sandbox);
    // script(1) gives ocx a pseudo-terminal; the password is typed only
    // once the prompt shows, as a person would.
    const child = Bun.spawn(["script", "-qec", `${OCX_BINARY} login ${registry.host} -u alice`, "/dev/null"], {
      env: sandbox.env({ TERM: "dumb" }),
      cwd: sandbox.cwd,
      stdin: "pipe",
      stdout: "pipe",
    });
    const reader = child.stdout.getReader();
    const decoder = new TextDecoder();
    let output = "";
    let isTyped = false;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      output += decoder.decode(value);
      if (!isTyped && output.includes("Password: ")) {
        isTyped = true;
        child.stdin.write(`${PASSWORD}\n`);
        await child.stdin.flush();
      }
    }

    expect(await child.exited).toBe(0);
    expect(output).toContain(`logged in to ${registry.host} as alice`);
    expect(output).not.toContain(PASSWORD);
    await sandbox.cleanup();
  });

  test("login refuses a password given without --password-stdin off a terminal", async () => {
    const sandbox = await Sandbox.create();

    const result = await sandbox.run(["login", registry.host, "-u", "alice"]);

    expect(result.stderr).toContain("--password-stdin");
    expect(result.exitCode).toBe(64);
    await sandbox.cleanup();
  });
});
