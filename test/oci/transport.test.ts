import { afterEach, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  OCI_PLAIN_HTTP_TO_HTTPS,
  OCI_TLS_UNTRUSTED,
  OCI_UNREACHABLE,
} from "../../src/oci/errors.ts";
import { MediaType } from "../../src/oci/media-types.ts";
import { parseReference } from "../../src/oci/reference.ts";
import { RegistryClient } from "../../src/oci/registry-client.ts";
import {
  hostPortOf,
  isLoopbackRegistry,
  registryOrigin,
} from "../../src/oci/transport.ts";
import {
  FakeContent,
  makeTestCertificate,
  serveContent,
  startFaultRegistry,
  type FaultRegistry,
} from "../helpers/fault-registry.ts";

const servers: FaultRegistry[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

/**
 * A fetch that records each URL and fails like a refused connection
 * without sending anything, for hosts the tests must not contact.
 */
function rejectingFetch(urls: string[]): typeof fetch {
  const reject = async (input: string | URL | Request) => {
    urls.push(String(input instanceof Request ? input.url : input));
    throw Object.assign(new TypeError("ECONNREFUSED: Unable to connect"), {
      code: "ECONNREFUSED",
    });
  };
  return reject as unknown as typeof fetch;
}

describe("isLoopbackRegistry", () => {
  test.each([
    ["localhost", true],
    ["localhost:5000", true],
    ["LOCALHOST:5000", true],
    ["127.0.0.1:5001", true],
    ["127.1.2.3", true],
    ["[::1]:5000", true],
    ["reg.test:5001", false],
    ["localhost.example.com", false],
    ["127.0.0.1.example.com", false],
    ["10.0.0.1:5000", false],
  ])("%s is loopback: %p", (registry, expected) => {
    expect(isLoopbackRegistry(registry)).toBe(expected);
  });
});

describe("registryOrigin", () => {
  test("keeps the port", () => {
    expect(registryOrigin("localhost:5000", true)).toBe(
      "http://localhost:5000",
    );
    expect(registryOrigin("reg.test:8443", false)).toBe(
      "https://reg.test:8443",
    );
  });
});

describe("hostPortOf", () => {
  test.each([
    ["http://localhost/v2/", "localhost:80"],
    ["https://localhost/v2/", "localhost:443"],
    ["http://127.0.0.1:5000/v2/", "127.0.0.1:5000"],
  ])("names %s as %s", (url, expected) => {
    expect(hostPortOf(new URL(url))).toBe(expected);
  });
});

describe("RegistryClient scheme selection", () => {
  test("uses plain HTTP for loopback and HTTPS otherwise", async () => {
    const urls: string[] = [];
    const client = new RegistryClient({
      credentials: async () => undefined,
      fetch: rejectingFetch(urls),
    });

    for (const registry of [
      "localhost:5000",
      "127.0.0.1:5001",
      "reg.test:5000",
    ]) {
      await client
        .getManifest(parseReference(`${registry}/team/tool:1.0`))
        .catch(() => {});
    }

    expect(urls).toEqual([
      "http://localhost:5000/v2/team/tool/manifests/1.0",
      "http://127.0.0.1:5001/v2/team/tool/manifests/1.0",
      "https://reg.test:5000/v2/team/tool/manifests/1.0",
    ]);
  });

  test("marks only the listed host and port insecure", async () => {
    const urls: string[] = [];
    const insecure = new Set(["reg.test:5001"]);
    const client = new RegistryClient({
      credentials: async () => undefined,
      fetch: rejectingFetch(urls),
      isInsecure: (registry) => insecure.has(registry),
    });

    for (const registry of [
      "reg.test:5001",
      "reg.test:5000",
      "localhost:8443",
    ]) {
      await client
        .getManifest(parseReference(`${registry}/team/tool:1.0`))
        .catch(() => {});
    }

    expect(urls).toEqual([
      "http://reg.test:5001/v2/team/tool/manifests/1.0",
      "https://reg.test:5000/v2/team/tool/manifests/1.0",
      "https://localhost:8443/v2/team/tool/manifests/1.0",
    ]);
  });

  test("names localhost:80 for a refused bare localhost", async () => {
    const client = new RegistryClient({
      credentials: async () => undefined,
      fetch: rejectingFetch([]),
    });

    const failure = client.getManifest(
      parseReference("localhost/team/tool:1.0"),
    );

    await expect(failure).rejects.toMatchObject({
      code: OCI_UNREACHABLE,
      exitCode: 69,
    });
    await expect(failure).rejects.toThrow('"localhost:80"');
  });

  test("names host and port for a refused connection", async () => {
    const port = await closedPort();
    const client = new RegistryClient({ credentials: async () => undefined });

    const failure = client.getManifest(
      parseReference(`127.0.0.1:${port}/team/tool:1.0`),
    );

    await expect(failure).rejects.toMatchObject({ code: OCI_UNREACHABLE });
    await expect(failure).rejects.toThrow(
      `"127.0.0.1:${port}": connection refused`,
    );
  });

  test("fails on plain HTTP behind HTTPS without retrying", async () => {
    const server = startFaultRegistry(() => new Response("plain"));
    servers.push(server);
    const client = new RegistryClient({
      credentials: async () => undefined,
      isInsecure: () => false,
    });

    const failure = client.getManifest(
      parseReference(`${server.host}/team/tool:1.0`),
    );

    await expect(failure).rejects.toMatchObject({
      code: OCI_PLAIN_HTTP_TO_HTTPS,
    });
    await expect(failure).rejects.toMatchObject({
      hint: expect.stringContaining(`insecure = ["${server.host}"]`),
    });
    expect(server.requests).toHaveLength(0);
  });

  test("looks up credentials with the port", async () => {
    const content = new FakeContent();
    const config = {
      ...content.addBlob(new TextEncoder().encode("{}")),
      mediaType: MediaType.empty,
    };
    content.addManifest(
      {
        schemaVersion: 2,
        mediaType: MediaType.imageManifest,
        config,
        layers: [],
      },
      MediaType.imageManifest,
      "1.0",
    );
    const server = startFaultRegistry((request, url) =>
      request.headers.get("authorization")
        ? serveContent(content, request, url)
        : new Response(null, {
            status: 401,
            headers: { "www-authenticate": 'Basic realm="r"' },
          }),
    );
    servers.push(server);
    const lookups: string[] = [];
    const client = new RegistryClient({
      credentials: async (registry) => {
        lookups.push(registry);
        return { username: "u", password: "p" };
      },
    });

    await client.getManifest(parseReference(`${server.host}/team/tool:1.0`));

    expect(lookups).toEqual([server.host]);
  });
});

describe("RegistryClient over TLS", () => {
  test("trusts a configured CA on loopback", async () => {
    const certificate = await makeTestCertificate();
    const content = new FakeContent();
    const config = {
      ...content.addBlob(new TextEncoder().encode("{}")),
      mediaType: MediaType.empty,
    };
    const manifest = {
      schemaVersion: 2,
      mediaType: MediaType.imageManifest,
      config,
      layers: [],
    };
    content.addManifest(manifest, MediaType.imageManifest, "1.0");
    const server = startFaultRegistry(
      (request, url) => serveContent(content, request, url),
      { tls: certificate },
    );
    servers.push(server);
    const port = server.host.split(":")[1];
    const client = new RegistryClient({
      credentials: async () => undefined,
      isInsecure: () => false,
      tls: async (host) =>
        host === `localhost:${port}` ? { ca: certificate.cert } : undefined,
    });

    const reference = parseReference(`localhost:${port}/team/tool:1.0`);
    const fetched = await client.getManifest(reference);

    expect(fetched.mediaType).toBe(MediaType.imageManifest);
    expect(server.requests).toHaveLength(1);
  });

  test("rejects an untrusted certificate", async () => {
    const certificate = await makeTestCertificate();
    const server = startFaultRegistry(() => new Response("{}"), {
      tls: certificate,
    });
    servers.push(server);
    const client = new RegistryClient({
      credentials: async () => undefined,
      isInsecure: () => false,
    });

    const failure = client.getManifest(
      parseReference(`${server.host}/team/tool:1.0`),
    );

    await expect(failure).rejects.toMatchObject({ code: OCI_TLS_UNTRUSTED });
    await expect(failure).rejects.toMatchObject({
      hint: expect.stringContaining("ca_file"),
    });
  });

  test("trusts NODE_EXTRA_CA_CERTS in a child process", async () => {
    const certificate = await makeTestCertificate();
    const server = startFaultRegistry(() => Response.json({}), {
      tls: certificate,
    });
    servers.push(server);
    const directory = await mkdtemp(join(tmpdir(), "ocx-ca-"));
    const caPath = join(directory, "ca.pem");
    await writeFile(caPath, certificate.cert);
    const port = server.host.split(":")[1];

    // Bun reads the variable at startup, so only a new process shows it.
    const child = Bun.spawn(
      [process.execPath, "-e", `await fetch("https://localhost:${port}/")`],
      {
        env: { ...process.env, NODE_EXTRA_CA_CERTS: caPath },
        stderr: "pipe",
      },
    );
    const stderr = await new Response(child.stderr).text();
    const exitCode = await child.exited;
    await rm(directory, { recursive: true, force: true });

    expect(stderr).toBe("");
    expect(exitCode).toBe(0);
  });

  test("names HTTPS when plain HTTP meets TLS", async () => {
    const certificate = await makeTestCertificate();
    const server = startFaultRegistry(() => new Response("{}"), {
      tls: certificate,
    });
    servers.push(server);
    const client = new RegistryClient({
      credentials: async () => undefined,
      retry: { delayMs: 1 },
    });

    const failure = client.getManifest(
      parseReference(`${server.host}/team/tool:1.0`),
    );

    await expect(failure).rejects.toMatchObject({ code: OCI_UNREACHABLE });
    await expect(failure).rejects.toThrow("the server may expect HTTPS");
    await expect(failure).rejects.toMatchObject({
      hint: expect.stringContaining(`tls = ["${server.host}"]`),
    });
  });
});

/** Returns a loopback port that nothing listens on any more. */
async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        resolve(typeof address === "object" && address ? address.port : 0),
      );
    });
  });
}
