import { afterEach, describe, expect, test } from "bun:test";
import {
  Authenticator,
  type AuthenticatorOptions,
} from "../../src/oci/auth.ts";
import { OCI_REGISTRY_ERROR, OCI_UNAUTHORIZED } from "../../src/oci/errors.ts";
import { MediaType } from "../../src/oci/media-types.ts";
import { parseReference } from "../../src/oci/reference.ts";
import { RegistryClient } from "../../src/oci/registry-client.ts";
import { RecordingReporter } from "../../src/report/reporter.ts";
import {
  FakeContent,
  serveContent,
  startFaultRegistry,
  type FaultRegistry,
} from "../helpers/fault-registry.ts";

const SCOPE = "repository:team/tool:pull,push";
const BASIC_U_P = `Basic ${btoa("u:p")}`;
const servers: FaultRegistry[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

interface BearerRegistryOptions {
  challenge: (origin: string) => string;
  /** When set, the token endpoint requires these Basic credentials. */
  requiredBasic?: string;
  expiresIn?: number;
  /** Blob requests redirect here. */
  storageUrl?: string;
}

/**
 * Starts a registry that challenges with `challenge`, issues token "T" at
 * `/token` only for service `reg.test` and the exact scope, and serves
 * content only with `Bearer T`.
 */
function startBearerRegistry(
  content: FakeContent,
  options: BearerRegistryOptions,
): FaultRegistry {
  const server = startFaultRegistry((request, url) => {
    if (url.pathname === "/token") {
      const isExact =
        url.searchParams.get("service") === "reg.test" &&
        url.searchParams.getAll("scope").join(" ") === SCOPE;
      if (!isExact) return new Response("bad token request", { status: 400 });
      if (
        options.requiredBasic &&
        request.headers.get("authorization") !== options.requiredBasic
      ) {
        return new Response("bad credentials", { status: 401 });
      }
      return Response.json({
        token: "T",
        ...(options.expiresIn ? { expires_in: options.expiresIn } : {}),
      });
    }
    if (request.headers.get("authorization") !== "Bearer T") {
      return new Response(null, {
        status: 401,
        headers: { "www-authenticate": options.challenge(server.url) },
      });
    }
    if (options.storageUrl && url.pathname.includes("/blobs/")) {
      return new Response(null, {
        status: 307,
        headers: { location: `${options.storageUrl}${url.pathname}` },
      });
    }
    return serveContent(content, request, url);
  });
  servers.push(server);
  return server;
}

function packageContent(): {
  content: FakeContent;
  layer: { digest: string; size: number; mediaType: string };
} {
  const content = new FakeContent();
  const config = {
    ...content.addBlob(new TextEncoder().encode("{}")),
    mediaType: MediaType.empty,
  };
  const layer = {
    ...content.addBlob(new TextEncoder().encode("layer")),
    mediaType: MediaType.layerTar,
  };
  content.addManifest(
    {
      schemaVersion: 2,
      mediaType: MediaType.imageManifest,
      config,
      layers: [layer],
    },
    MediaType.imageManifest,
    "1.0",
  );
  return { content, layer };
}

function tokenRequests(server: FaultRegistry) {
  return server.requests.filter((request) => request.path === "/token");
}

describe("RegistryClient bearer authentication", () => {
  test.each([
    [
      "compact",
      (realm: string) =>
        `Bearer realm="${realm}/token",service="reg.test",scope="${SCOPE}"`,
    ],
    [
      "spaces",
      (realm: string) =>
        `Bearer realm="${realm}/token", service="reg.test", scope="${SCOPE}"`,
    ],
    [
      "order",
      (realm: string) =>
        `Bearer scope="${SCOPE}",service="reg.test",realm="${realm}/token"`,
    ],
    [
      "unquoted token",
      (realm: string) =>
        `Bearer realm="${realm}/token",service=reg.test,scope="${SCOPE}",error="insufficient_scope"`,
    ],
    [
      "lowercase scheme",
      (realm: string) =>
        `bearer realm="${realm}/token",service="reg.test",scope="${SCOPE}"`,
    ],
  ])("requests the exact scope: %s", async (_, challenge) => {
    const { content } = packageContent();
    const server = startBearerRegistry(content, { challenge });
    const client = new RegistryClient({ credentials: async () => undefined });

    const fetched = await client.getManifest(
      parseReference(`${server.host}/team/tool:1.0`),
    );

    expect(fetched.mediaType).toBe(MediaType.imageManifest);
    expect(tokenRequests(server)).toHaveLength(1);
    expect(tokenRequests(server)[0]?.query.get("scope")).toBe(SCOPE);
    expect(tokenRequests(server)[0]?.query.get("service")).toBe("reg.test");
  });

  test("anonymous token request carries no credentials", async () => {
    const { content } = packageContent();
    const server = startBearerRegistry(content, {
      challenge: (realm) =>
        `Bearer realm="${realm}/token",service="reg.test",scope="${SCOPE}"`,
    });
    const client = new RegistryClient({ credentials: async () => undefined });

    await client.getManifest(parseReference(`${server.host}/team/tool:1.0`));

    expect(tokenRequests(server)[0]?.headers.get("authorization")).toBeNull();
  });

  test("exchanges Basic credentials at the realm", async () => {
    const { content } = packageContent();
    const server = startBearerRegistry(content, {
      challenge: (realm) =>
        `Bearer realm="${realm}/token",service="reg.test",scope="${SCOPE}"`,
      requiredBasic: BASIC_U_P,
    });
    const client = new RegistryClient({
      credentials: async () => ({ username: "u", password: "p" }),
    });

    await client.getManifest(parseReference(`${server.host}/team/tool:1.0`));

    expect(tokenRequests(server)[0]?.headers.get("authorization")).toBe(
      BASIC_U_P,
    );
  });

  test("rejected credentials name the registry", async () => {
    const { content } = packageContent();
    const server = startBearerRegistry(content, {
      challenge: (realm) =>
        `Bearer realm="${realm}/token",service="reg.test",scope="${SCOPE}"`,
      requiredBasic: BASIC_U_P,
    });
    const reporter = new RecordingReporter();
    const client = new RegistryClient({
      credentials: async () => ({ username: "u", password: "wrong" }),
      reporter,
    });

    const failure = client.getManifest(
      parseReference(`${server.host}/team/tool:1.0`),
    );

    await expect(failure).rejects.toMatchObject({ code: OCI_UNAUTHORIZED });
    await expect(failure).rejects.toThrow(`"${server.host}"`);
    await expect(failure).rejects.not.toThrow("wrong");
  });

  test("reuses a cached token per scope", async () => {
    const { content } = packageContent();
    const server = startBearerRegistry(content, {
      challenge: (realm) =>
        `Bearer realm="${realm}/token",service="reg.test",scope="${SCOPE}"`,
      expiresIn: 300,
    });
    const client = new RegistryClient({ credentials: async () => undefined });
    const reference = parseReference(`${server.host}/team/tool:1.0`);

    await client.getManifest(reference);
    await client.getManifest(reference);

    expect(tokenRequests(server)).toHaveLength(1);
    expect(
      server.requests.filter((request) => request.path.includes("/manifests/")),
    ).toHaveLength(3);
  });

  test("sends the token only to the registry host", async () => {
    const { content, layer } = packageContent();
    const storage = startFaultRegistry((request, url) =>
      serveContent(content, request, url),
    );
    servers.push(storage);
    const server = startBearerRegistry(content, {
      challenge: (realm) =>
        `Bearer realm="${realm}/token",service="reg.test",scope="${SCOPE}"`,
      storageUrl: storage.url,
    });
    const client = new RegistryClient({ credentials: async () => undefined });

    const bytes = await client.fetchBlobBytes(server.host, "team/tool", layer);

    expect(new TextDecoder().decode(bytes)).toBe("layer");
    expect(storage.requests).toHaveLength(1);
    expect(storage.requests[0]?.headers.get("authorization")).toBeNull();
    expect(
      tokenRequests(server).every(
        (request) => request.headers.get("authorization") === null,
      ),
    ).toBe(true);
  });

  test("answers a Basic challenge with credentials", async () => {
    const { content } = packageContent();
    const server = startFaultRegistry((request, url) =>
      request.headers.get("authorization") === BASIC_U_P
        ? serveContent(content, request, url)
        : new Response(null, {
            status: 401,
            headers: { "www-authenticate": 'Basic realm="r"' },
          }),
    );
    servers.push(server);
    const client = new RegistryClient({
      credentials: async () => ({ username: "u", password: "p" }),
    });

    const fetched = await client.getManifest(
      parseReference(`${server.host}/team/tool:1.0`),
    );

    expect(fetched.mediaType).toBe(MediaType.imageManifest);
  });

  test("passes request headers per host", async () => {
    const { content } = packageContent();
    const server = startFaultRegistry((request, url) =>
      serveContent(content, request, url),
    );
    servers.push(server);
    const client = new RegistryClient({
      credentials: async () => undefined,
      requestHeaders: async (host) =>
        host === server.host ? { "x-corp": "1" } : undefined,
    });

    await client.getManifest(parseReference(`${server.host}/team/tool:1.0`));

    expect(server.requests[0]?.headers.get("x-corp")).toBe("1");
  });
});

function makeAuthenticator(
  overrides: Partial<AuthenticatorOptions> = {},
): Authenticator {
  return new Authenticator({
    credentials: async () => undefined,
    isInsecure: () => true,
    reporter: new RecordingReporter(),
    send: { fetch, timeoutMs: 5_000 },
    requestHeaders: async () => undefined,
    ...overrides,
  });
}

describe("Authenticator", () => {
  test("fetches a new token after expires_in", async () => {
    const server = startFaultRegistry(() =>
      Response.json({ token: "T", expires_in: 60 }),
    );
    servers.push(server);
    let clock = 1_000_000;
    const authenticator = makeAuthenticator({ now: () => clock });
    const challenge = `Bearer realm="${server.url}/token",service="reg.test"`;

    const first = await authenticator.respondToChallenge(
      server.host,
      SCOPE,
      challenge,
    );
    clock += 50_000;
    const cachedBeforeExpiry = authenticator.cached(server.host, SCOPE);
    clock += 10_000;
    const cachedAfterExpiry = authenticator.cached(server.host, SCOPE);

    expect(first).toBe("Bearer T");
    expect(cachedBeforeExpiry).toBe("Bearer T");
    expect(cachedAfterExpiry).toBeUndefined();
  });

  test("keeps tokens apart per scope", async () => {
    const server = startFaultRegistry(() =>
      Response.json({ token: "T", expires_in: 60 }),
    );
    servers.push(server);
    const authenticator = makeAuthenticator();

    await authenticator.respondToChallenge(
      server.host,
      "repository:a:pull",
      `Bearer realm="${server.url}/token"`,
    );

    expect(authenticator.cached(server.host, "repository:a:pull")).toBe(
      "Bearer T",
    );
    expect(
      authenticator.cached(server.host, "repository:b:pull"),
    ).toBeUndefined();
  });

  test("withholds credentials from a plain HTTP realm", async () => {
    const server = startFaultRegistry(() => Response.json({ token: "T" }));
    servers.push(server);
    const reporter = new RecordingReporter();
    const authenticator = makeAuthenticator({
      credentials: async () => ({ username: "u", password: "p" }),
      isInsecure: () => false,
      reporter,
    });

    await authenticator.respondToChallenge(
      "reg.test:443",
      SCOPE,
      `Bearer realm="${server.url}/token"`,
    );

    expect(server.requests[0]?.headers.get("authorization")).toBeNull();
    expect(reporter.messages("warn")).toEqual([
      `not sending credentials to plain HTTP token realm "${server.url}"`,
    ]);
  });

  test("treats a failing token realm as retryable", async () => {
    const server = startFaultRegistry(
      () => new Response("down", { status: 503 }),
    );
    servers.push(server);
    const authenticator = makeAuthenticator();

    const failure = authenticator.respondToChallenge(
      server.host,
      SCOPE,
      `Bearer realm="${server.url}/token"`,
    );

    await expect(failure).rejects.toMatchObject({
      code: OCI_REGISTRY_ERROR,
      exitCode: 75,
    });
  });

  test("rejects a challenge without a realm", async () => {
    const authenticator = makeAuthenticator();

    const failure = authenticator.respondToChallenge(
      "reg.test:5000",
      SCOPE,
      'Bearer service="s"',
    );

    await expect(failure).rejects.toMatchObject({ code: OCI_UNAUTHORIZED });
  });
});
