import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { OCI_UNAUTHORIZED } from "../../src/oci/errors.ts";
import { MediaType } from "../../src/oci/media-types.ts";
import { parseReference } from "../../src/oci/reference.ts";
import { RegistryClient } from "../../src/oci/registry-client.ts";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { startTokenServer, type TokenServer } from "../helpers/token-server.ts";

let tokens: TokenServer;
let registry: TestRegistry;

beforeAll(async () => {
  tokens = await startTokenServer({ alice: "token-pass" });
  registry = await startRegistry({ extraConfig: tokens.registryConfig });
});

afterAll(async () => {
  await registry?.stop();
  await tokens?.stop();
});

function client(password = "token-pass") {
  return new RegistryClient({ credentials: async () => ({ username: "alice", password }), retry: { delayMs: 1 } });
}

async function pushTool(registryClient: RegistryClient, tag: string): Promise<string> {
  const config = await registryClient.pushBlob(registry.host, "team/tool", new TextEncoder().encode("{}"), MediaType.empty);
  const manifest = new TextEncoder().encode(
    JSON.stringify({ schemaVersion: 2, mediaType: MediaType.imageManifest, config, layers: [] }),
  );
  return registryClient.pushManifest(parseReference(`${registry.host}/team/tool:${tag}`), manifest, MediaType.imageManifest);
}

describe("RegistryClient with docker-registry token auth", () => {
  test("pushes and pulls with bearer tokens from the token server", async () => {
    const registryClient = client();
    const digest = await pushTool(registryClient, "1.0");

    const fetched = await registryClient.getManifest(parseReference(`${registry.host}/team/tool:1.0`));

    expect(fetched.digest).toBe(digest);
    expect(tokens.requests.every((request) => request.query.get("service") === tokens.service)).toBe(true);
  });

  test("caches a token per repository scope", async () => {
    await pushTool(client(), "2.0");
    const registryClient = client();
    const before = tokens.requests.length;

    for (let count = 0; count < 3; count++) {
      await registryClient.getManifest(parseReference(`${registry.host}/team/tool:2.0`));
    }

    const scopes = tokens.requests.slice(before).map((request) => request.query.get("scope"));
    expect(scopes).toEqual(["repository:team/tool:pull"]);
  });

  test("checks a login at /v2/ without a scope", async () => {
    await client().checkLogin(registry.host);
    expect(tokens.requests.at(-1)?.query.has("scope")).toBe(false);
  });

  test("fails with wrong credentials, naming the registry", async () => {
    const failure = client("wrong").getManifest(parseReference(`${registry.host}/team/tool:1.0`));
    await expect(failure).rejects.toMatchObject({ code: OCI_UNAUTHORIZED, exitCode: 69 });
    await expect(failure).rejects.toThrow(registry.host);
  });
});
