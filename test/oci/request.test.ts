import { afterEach, describe, expect, test } from "bun:test";
import { OCI_REGISTRY_ERROR, OCI_UNREACHABLE } from "../../src/oci/errors.ts";
import { MediaType } from "../../src/oci/media-types.ts";
import { parseReference } from "../../src/oci/reference.ts";
import {
  RegistryClient,
  type RegistryClientOptions,
} from "../../src/oci/registry-client.ts";
import { RecordingReporter } from "../../src/report/reporter.ts";
import {
  FakeContent,
  distributionError,
  serveContent,
  startFaultRegistry,
  type FaultRegistry,
} from "../helpers/fault-registry.ts";
import { startResettingProxy, type ResettingProxy } from "../helpers/tcp-faults.ts";

const servers: (FaultRegistry | ResettingProxy)[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

function toolContent(): FakeContent {
  const content = new FakeContent();
  const config = {
    ...content.addBlob(new TextEncoder().encode("{}")),
    mediaType: MediaType.empty,
  };
  content.addManifest(
    { schemaVersion: 2, mediaType: MediaType.imageManifest, config, layers: [] },
    MediaType.imageManifest,
    "1.0",
  );
  return content;
}

/** Creates a client that records its retry waits instead of sleeping. */
function fastClient(options: RegistryClientOptions = {}) {
  const waits: number[] = [];
  const reporter = new RecordingReporter();
  const client = new RegistryClient({
    credentials: async () => undefined,
    reporter,
    sleep: async (ms) => void waits.push(ms),
    ...options,
  });
  return { client, waits, reporter };
}

/** Fails the first `count` requests with `fault`, then serves `content`. */
function flaky(content: FakeContent, count: number, fault: () => Response) {
  let failures = 0;
  const server = startFaultRegistry((request, url) => {
    if (failures < count) {
      failures++;
      return fault();
    }
    return serveContent(content, request, url);
  });
  servers.push(server);
  return server;
}

describe("RegistryClient retries", () => {
  test("repeats a 503 with growing backoff", async () => {
    const server = flaky(toolContent(), 3, () =>
      distributionError(503, "UNAVAILABLE", "busy"),
    );
    const { client, waits } = fastClient({ retry: { delayMs: 100 } });

    await client.getManifest(parseReference(`${server.host}/team/tool:1.0`));

    expect(server.requests).toHaveLength(4);
    expect(waits[0]).toBeGreaterThanOrEqual(100);
    expect(waits[1]).toBeGreaterThanOrEqual(200);
    expect(waits[2]).toBeGreaterThanOrEqual(400);
  });

  test("waits as Retry-After says on 429", async () => {
    const server = flaky(toolContent(), 1, () =>
      new Response("slow down", { status: 429, headers: { "retry-after": "2" } }),
    );
    const { client, waits } = fastClient();

    await client.getManifest(parseReference(`${server.host}/team/tool:1.0`));

    expect(waits).toEqual([2000]);
  });

  test("gives up on a Retry-After past the longest wait", async () => {
    const server = flaky(toolContent(), 1, () =>
      new Response("come back tomorrow", { status: 429, headers: { "retry-after": "86400" } }),
    );
    const { client, waits } = fastClient();

    const failure = client.getManifest(parseReference(`${server.host}/team/tool:1.0`));

    await expect(failure).rejects.toMatchObject({ code: OCI_REGISTRY_ERROR, exitCode: 75 });
    expect(waits).toEqual([]);
  });

  test("names the registry and repository after the last 500", async () => {
    const server = flaky(toolContent(), 10, () =>
      distributionError(500, "UNKNOWN", "disk on fire"),
    );
    const { client, reporter } = fastClient({ retry: { retries: 2 } });

    const failure = client.getManifest(parseReference(`${server.host}/team/tool:1.0`));

    await expect(failure).rejects.toThrow(`${server.host}/team/tool:1.0`);
    await expect(failure).rejects.toMatchObject({ hint: expect.stringContaining("retry later") });
    expect(server.requests).toHaveLength(3);
    expect(reporter.messages("warn")[0]).toContain("HTTP 500");
  });

  test("does not repeat a 404", async () => {
    const server = flaky(toolContent(), 0, () => new Response());
    const { client, waits } = fastClient();

    const failure = client.getManifest(parseReference(`${server.host}/team/tool:2.0`));

    await expect(failure).rejects.toThrow("manifest not found");
    expect(waits).toEqual([]);
  });

  test("reconnects after a connection reset", async () => {
    const server = flaky(toolContent(), 0, () => new Response());
    const proxy = await startResettingProxy(server.host, { resets: 2 });
    servers.push(proxy);
    const { client, waits } = fastClient();

    await client.getManifest(parseReference(`${proxy.host}/team/tool:1.0`));

    expect(proxy.connections()).toBe(3);
    expect(waits).toHaveLength(2);
  });

  test("fails after resets with host, repository and attempts", async () => {
    const server = flaky(toolContent(), 0, () => new Response());
    const proxy = await startResettingProxy(server.host, { resets: 100 });
    servers.push(proxy);
    const { client } = fastClient({ retry: { retries: 1 } });

    const failure = client.getManifest(parseReference(`${proxy.host}/team/tool:1.0`));

    await expect(failure).rejects.toMatchObject({ code: OCI_UNREACHABLE });
    await expect(failure).rejects.toThrow(
      new RegExp(`${proxy.host}.*repository "team/tool", 2 attempts`),
    );
    await expect(failure).rejects.toMatchObject({ hint: expect.stringContaining("[network] retries") });
  });

  test("repeats a request whose token realm answered 503", async () => {
    const content = toolContent();
    let tokenFailures = 0;
    const server = startFaultRegistry((request, url) => {
      if (url.pathname === "/token") {
        if (tokenFailures++ < 1) return new Response("down", { status: 503 });
        return Response.json({ token: "T" });
      }
      if (request.headers.get("authorization") !== "Bearer T") {
        return new Response(null, {
          status: 401,
          headers: { "www-authenticate": `Bearer realm="${server.url}/token",service="reg"` },
        });
      }
      return serveContent(content, request, url);
    });
    servers.push(server);
    const { client, waits } = fastClient();

    await client.getManifest(parseReference(`${server.host}/team/tool:1.0`));

    expect(waits).toHaveLength(1);
  });

  test("does not repeat a refused connection", async () => {
    const { client, waits } = fastClient();

    const failure = client.getManifest(parseReference("127.0.0.1:9/team/tool:1.0"));

    await expect(failure).rejects.toThrow("connection refused");
    expect(waits).toEqual([]);
  });

  test("times out a body that stalls", async () => {
    const server = startFaultRegistry(() =>
      new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode("{"));
          },
        }),
      ),
    );
    servers.push(server);
    const { client } = fastClient({ stallTimeoutMs: 100, retry: { retries: 0 } });

    const failure = client.getManifest(parseReference(`${server.host}/team/tool:1.0`));

    await expect(failure).rejects.toMatchObject({ code: OCI_UNREACHABLE });
    await expect(failure).rejects.toThrow("no data for 100 ms");
  });
});

describe("RegistryClient mirrors", () => {
  test("pulls from the first mirror that has the content", async () => {
    const origin = flaky(toolContent(), 0, () => new Response());
    const empty = flaky(new FakeContent(), 0, () => new Response());
    const mirror = flaky(toolContent(), 0, () => new Response());
    const { client } = fastClient({
      mirrors: () => [
        { registry: empty.host, prefix: "", serves: ["tags", "digests"] },
        { registry: mirror.host, prefix: "", serves: ["tags", "digests"] },
      ],
    });

    await client.getManifest(parseReference(`${origin.host}/team/tool:1.0`));

    expect(empty.requests).toHaveLength(1);
    expect(mirror.requests).toHaveLength(1);
    expect(origin.requests).toHaveLength(0);
  });

  test("falls back to the origin when mirrors fail", async () => {
    const origin = flaky(toolContent(), 0, () => new Response());
    const broken = flaky(toolContent(), 100, () => distributionError(503, "UNAVAILABLE", "down"));
    const { client, reporter, waits } = fastClient({
      mirrors: () => [{ registry: broken.host, prefix: "", serves: ["tags", "digests"] }],
    });

    await client.getManifest(parseReference(`${origin.host}/team/tool:1.0`));

    expect(broken.requests).toHaveLength(1);
    expect(origin.requests).toHaveLength(1);
    expect(waits).toEqual([]);
    expect(reporter.messages("info").join("\n")).toContain(broken.host);
  });

  test("puts the mirror prefix before the repository", async () => {
    const origin = flaky(toolContent(), 0, () => new Response());
    const mirror = flaky(toolContent(), 0, () => new Response());
    const { client } = fastClient({
      mirrors: () => [{ registry: mirror.host, prefix: "cache/upstream", serves: ["tags"] }],
    });

    await client.getManifest(parseReference(`${origin.host}/team/tool:1.0`));

    expect(mirror.requests[0]?.path).toBe("/v2/cache/upstream/team/tool/manifests/1.0");
  });

  test("skips a mirror for requests it does not serve", async () => {
    const content = toolContent();
    const origin = flaky(content, 0, () => new Response());
    const mirror = flaky(content, 0, () => new Response());
    const { client } = fastClient({
      mirrors: () => [{ registry: mirror.host, prefix: "", serves: ["digests"] }],
    });

    const fetched = await client.getManifest(parseReference(`${origin.host}/team/tool:1.0`));
    await client.getManifest(parseReference(`${origin.host}/team/tool@${fetched.digest}`));

    expect(origin.requests.map((request) => request.path)).toEqual(["/v2/team/tool/manifests/1.0"]);
    expect(mirror.requests.map((request) => request.path)).toEqual([
      `/v2/team/tool/manifests/${fetched.digest}`,
    ]);
  });

  test("checks a blob before an upload at the registry only", async () => {
    const content = toolContent();
    const origin = flaky(new FakeContent(), 0, () => new Response());
    const mirror = flaky(content, 0, () => new Response());
    const { client } = fastClient({
      mirrors: () => [{ registry: mirror.host, prefix: "", serves: ["tags", "digests"] }],
    });
    const [digest] = [...content.blobs.keys()];

    const exists = await client.blobExists(origin.host, "team/tool", digest!);

    expect(exists).toBe(false);
    expect(mirror.requests).toHaveLength(0);
  });

  test("never sends uploads to a mirror", async () => {
    const origin = startFaultRegistry(() => new Response(null, { status: 404 }));
    const mirror = flaky(toolContent(), 0, () => new Response());
    servers.push(origin);
    const { client } = fastClient({
      mirrors: () => [{ registry: mirror.host, prefix: "", serves: ["tags", "digests"] }],
    });

    await client
      .request(origin.host, { repository: "team/tool", path: "/v2/team/tool/blobs/uploads/", method: "POST" })
      .then((response) => response.body?.cancel());

    expect(mirror.requests).toHaveLength(0);
  });
});

describe("RegistryClient header timeouts", () => {
  test("does not repeat a request that got no answer", async () => {
    const { promise: never } = Promise.withResolvers<Response>();
    const server = startFaultRegistry(() => never);
    servers.push(server);
    const { client, waits } = fastClient({ timeoutMs: 100 });

    const failure = client.getManifest(parseReference(`${server.host}/team/tool:1.0`));

    await expect(failure).rejects.toThrow("no response within 100 ms");
    expect(waits).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });
});
