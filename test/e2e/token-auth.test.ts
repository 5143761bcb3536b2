import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { startTokenServer, type TokenServer } from "../helpers/token-server.ts";
import { Sandbox, toolPackage } from "./harness.ts";

const PASSWORD = "bearer-flow-secret-91";
let tokens: TokenServer;
let registry: TestRegistry;

beforeAll(async () => {
  tokens = await startTokenServer({ ci: PASSWORD });
  registry = await startRegistry({ extraConfig: tokens.registryConfig });
});

afterAll(async () => {
  await registry?.stop();
  await tokens?.stop();
});

describe("ocx against docker-registry with a token server", () => {
  test("logs in, pushes and installs through the bearer flow", async () => {
    const sandbox = await Sandbox.create();
    const reference = `${registry.host}/team/hello:1.0`;

    const login = await sandbox.run(["login", registry.host, "-u", "ci", "--password-stdin"], { stdin: PASSWORD });
    await sandbox.publish(reference, toolPackage("hello", "hello from bearer"));
    const exec = await sandbox.ok(["exec", reference, "--", "hello"]);

    expect(login.exitCode).toBe(0);
    expect(exec).toBe("hello from bearer\n");
    const scopes = tokens.requests.map((request) => request.query.get("scope"));
    // docker-registry lists the actions of its challenge in either order.
    expect(scopes.some((scope) => /^repository:team\/hello:(pull,push|push,pull)$/.test(scope ?? ""))).toBe(true);
    expect(scopes).toContain("repository:team/hello:pull");
    await sandbox.cleanup();
  });

  test("fails anonymously with a hint to log in, without secrets", async () => {
    const publisher = await Sandbox.create();
    await publisher.run(["login", registry.host, "-u", "ci", "--password-stdin"], { stdin: PASSWORD });
    await publisher.publish(`${registry.host}/team/private:1.0`, toolPackage("private", "p"));
    const sandbox = await Sandbox.create();

    const result = await sandbox.run(["install", "-vv", `${registry.host}/team/private:1.0`]);

    expect(result.stderr).toContain(`authentication failed for registry "${registry.host}"`);
    expect(result.stderr).toContain(`ocx login ${registry.host}`);
    expect(result.stderr).toContain("rejected anonymous access");
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
    expect(result.exitCode).toBe(69);
    await publisher.cleanup();
    await sandbox.cleanup();
  });
});
