import { afterEach, describe, expect, test } from "bun:test";
import {
  OCI_BLOB_SIZE_MISMATCH,
  OCI_DIGEST_MISMATCH,
  OCI_MANIFEST_INVALID,
  OCI_REGISTRY_ERROR,
  OCI_UNREACHABLE,
} from "../../src/oci/errors.ts";
import { MediaType, manifestAcceptTypes } from "../../src/oci/media-types.ts";
import { parseReference } from "../../src/oci/reference.ts";
import { RegistryClient, sha256Digest } from "../../src/oci/registry-client.ts";
import {
  FakeContent,
  countingBody,
  serveContent,
  startFaultRegistry,
  type FaultRegistry,
  type ServeOptions,
} from "../helpers/fault-registry.ts";

const encoder = new TextEncoder();
const ZERO_DIGEST = `sha256:${"0".repeat(64)}`;
const client = new RegistryClient({
  credentials: async () => undefined,
  retry: { delayMs: 1 },
});
const servers: FaultRegistry[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

function serve(
  content: FakeContent,
  options: ServeOptions = {},
): FaultRegistry {
  const server = startFaultRegistry((request, url) =>
    serveContent(content, request, url, options),
  );
  servers.push(server);
  return server;
}

function imageManifest(content: FakeContent, layerText: string) {
  const config = {
    ...content.addBlob(encoder.encode("{}")),
    mediaType: MediaType.empty,
  };
  const layer = {
    ...content.addBlob(encoder.encode(layerText)),
    mediaType: MediaType.layerTar,
  };
  return {
    schemaVersion: 2,
    mediaType: MediaType.imageManifest,
    config,
    layers: [layer],
  };
}

describe("RegistryClient manifest digests", () => {
  test.each([
    ["absent", () => null],
    ["correct", (digest: string) => digest],
  ])(
    "computes the digest from the body when the header is %s",
    async (_, digestHeader) => {
      const content = new FakeContent();
      const digest = content.addManifest(
        imageManifest(content, "a"),
        MediaType.imageManifest,
        "1.0",
      );
      const server = serve(content, { digestHeader });

      const fetched = await client.getManifest(
        parseReference(`${server.host}/team/tool:1.0`),
      );

      expect(fetched.digest).toBe(digest);
    },
  );

  test("rejects a wrong Docker-Content-Digest header, naming both", async () => {
    const content = new FakeContent();
    const digest = content.addManifest(
      imageManifest(content, "a"),
      MediaType.imageManifest,
      "1.0",
    );
    const server = serve(content, { digestHeader: () => ZERO_DIGEST });

    const failure = client.getManifest(
      parseReference(`${server.host}/team/tool:1.0`),
    );

    await expect(failure).rejects.toMatchObject({ code: OCI_DIGEST_MISMATCH });
    await expect(failure).rejects.toThrow(ZERO_DIGEST);
    await expect(failure).rejects.toThrow(digest);
  });

  test("rejects a body that does not match the pinned digest", async () => {
    const content = new FakeContent();
    const pinned = sha256Digest(encoder.encode("the manifest we pinned"));
    const other = imageManifest(content, "other");
    content.manifests.set(pinned, {
      bytes: encoder.encode(JSON.stringify(other)),
      mediaType: MediaType.imageManifest,
    });
    const server = serve(content, { digestHeader: () => pinned });

    const failure = client.getManifest(
      parseReference(`${server.host}/team/tool@${pinned}`),
    );

    await expect(failure).rejects.toMatchObject({ code: OCI_DIGEST_MISMATCH });
    await expect(failure).rejects.toThrow(pinned);
  });

  test("never sends HEAD for a manifest", async () => {
    const content = new FakeContent();
    content.addManifest(
      imageManifest(content, "a"),
      MediaType.imageManifest,
      "1.0",
    );
    const server = serve(content, { isHeadRejected: true });

    await client.getManifest(parseReference(`${server.host}/team/tool:1.0`));

    expect(server.requests.map((request) => request.method)).toEqual(["GET"]);
  });

  test("blobExists falls back to GET on 405", async () => {
    const content = new FakeContent();
    const { digest } = content.addBlob(encoder.encode("blob"));
    const server = serve(content, { isHeadRejected: true });

    const exists = await client.blobExists(server.host, "team/tool", digest);

    expect(exists).toBe(true);
    expect(server.requests.map((request) => request.method)).toEqual([
      "HEAD",
      "GET",
    ]);
  });
});

describe("RegistryClient Accept header", () => {
  test.each([
    ["single", MediaType.imageManifest],
    ["docker", MediaType.dockerManifest],
  ])("fetches the %s tag from a strict registry", async (tag, mediaType) => {
    const content = new FakeContent();
    content.addManifest(
      { ...imageManifest(content, tag), mediaType },
      mediaType,
      tag,
    );
    const server = serve(content, { isStrictAccept: true });

    const resolved = await client.resolveManifest(
      parseReference(`${server.host}/team/tool:${tag}`),
      { os: "linux", architecture: "amd64" },
    );

    expect(resolved.mediaType).toBe(mediaType);
  });

  test("follows a multi-platform index on a strict registry", async () => {
    const content = new FakeContent();
    const entries = ["amd64", "arm64"].map((architecture) => {
      const json = imageManifest(content, architecture);
      const digest = content.addManifest(json, MediaType.imageManifest);
      const size = encoder.encode(JSON.stringify(json)).byteLength;
      return {
        mediaType: MediaType.imageManifest,
        digest,
        size,
        platform: { os: "linux", architecture },
      };
    });
    content.addManifest(
      { schemaVersion: 2, mediaType: MediaType.imageIndex, manifests: entries },
      MediaType.imageIndex,
      "multi",
    );
    const server = serve(content, { isStrictAccept: true });

    const resolved = await client.resolveManifest(
      parseReference(`${server.host}/team/tool:multi`),
      { os: "linux", architecture: "arm64" },
    );

    expect(resolved.digest).toBe(entries[1]!.digest);
    expect(server.requests).toHaveLength(2);
    for (const request of server.requests) {
      const accepted = (request.headers.get("accept") ?? "")
        .split(",")
        .map((type) => type.trim());
      expect(accepted).toEqual([...manifestAcceptTypes]);
    }
  });

  test("dispatches on Content-Type when the body has no mediaType", async () => {
    const content = new FakeContent();
    const { mediaType: _, ...withoutType } = imageManifest(content, "a");
    content.addManifest(withoutType, MediaType.dockerManifest, "1.0");
    const server = serve(content);

    const fetched = await client.getManifest(
      parseReference(`${server.host}/team/tool:1.0`),
    );

    expect(fetched.mediaType).toBe(MediaType.dockerManifest);
  });

  test("rejects a body that is not a manifest", async () => {
    const content = new FakeContent();
    content.addManifest(
      { schemaVersion: 2, mediaType: MediaType.imageManifest, layers: [] },
      MediaType.imageManifest,
      "1.0",
    );
    const server = serve(content);

    const failure = client.getManifest(
      parseReference(`${server.host}/team/tool:1.0`),
    );

    await expect(failure).rejects.toMatchObject({ code: OCI_MANIFEST_INVALID });
  });
});

describe("RegistryClient blob verification", () => {
  test("stops reading an oversized blob early", async () => {
    const descriptor = {
      mediaType: MediaType.layerTar,
      digest: sha256Digest(new Uint8Array(1024)),
      size: 1024,
    };
    const oversized = countingBody(50 * 1024 * 1024, 64 * 1024);
    const server = startFaultRegistry(() => new Response(oversized.body));
    servers.push(server);

    const stream = await client.fetchBlob(server.host, "team/bomb", descriptor);
    const failure = new Response(stream).arrayBuffer();

    await expect(failure).rejects.toMatchObject({
      code: OCI_BLOB_SIZE_MISMATCH,
    });
    await oversized.cancelled;
    // Socket buffers let the server queue a few MiB before it notices.
    expect(oversized.sent()).toBeLessThan(16 * 1024 * 1024);
  });

  test("errors when the blob digest differs", async () => {
    const served = encoder.encode("tampered");
    const expected = sha256Digest(encoder.encode("original"));
    const server = startFaultRegistry(() => new Response(served));
    servers.push(server);

    const stream = await client.fetchBlob(server.host, "team/tool", {
      mediaType: MediaType.layerTar,
      digest: expected,
      size: served.byteLength,
    });
    const failure = new Response(stream).arrayBuffer();

    await expect(failure).rejects.toMatchObject({ code: OCI_DIGEST_MISMATCH });
    await expect(failure).rejects.toThrow(expected);
    await expect(failure).rejects.toThrow(sha256Digest(served));
  });

  test("errors when the blob is short", async () => {
    const served = encoder.encode("short");
    const server = startFaultRegistry(() => new Response(served));
    servers.push(server);

    const stream = await client.fetchBlob(server.host, "team/tool", {
      mediaType: MediaType.layerTar,
      digest: sha256Digest(served),
      size: 100,
    });

    await expect(new Response(stream).arrayBuffer()).rejects.toMatchObject({
      code: OCI_BLOB_SIZE_MISMATCH,
    });
  });
});

describe("RegistryClient failures", () => {
  test.each([
    [500, 75],
    [503, 75],
    [429, 75],
    [400, 69],
  ])("maps HTTP %d to exit code %d", async (status, exitCode) => {
    const server = startFaultRegistry(() =>
      Response.json(
        { errors: [{ code: "UNKNOWN", message: "boom" }] },
        { status },
      ),
    );
    servers.push(server);

    const failure = client.getManifest(
      parseReference(`${server.host}/team/tool:1.0`),
    );

    await expect(failure).rejects.toMatchObject({
      code: OCI_REGISTRY_ERROR,
      exitCode,
    });
    await expect(failure).rejects.toThrow("UNKNOWN: boom");
  });

  test("times out waiting for headers", async () => {
    const { promise: never } = Promise.withResolvers<Response>();
    const server = startFaultRegistry(() => never);
    servers.push(server);
    const impatient = new RegistryClient({
      credentials: async () => undefined,
      timeoutMs: 200,
      retry: { retries: 0 },
    });

    const failure = impatient.getManifest(
      parseReference(`${server.host}/team/tool:1.0`),
    );

    await expect(failure).rejects.toMatchObject({
      code: OCI_UNREACHABLE,
      exitCode: 69,
    });
    await expect(failure).rejects.toThrow(server.host);
  });
});
