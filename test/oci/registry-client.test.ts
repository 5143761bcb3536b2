import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MediaType } from "../../src/oci/media-types.ts";
import {
  OCI_BLOB_NOT_FOUND,
  OCI_BLOB_SIZE_MISMATCH,
  OCI_MANIFEST_NOT_FOUND,
  OCI_PLATFORM_NOT_FOUND,
  OCI_UNAUTHORIZED,
} from "../../src/oci/errors.ts";
import { readDockerCredentials } from "../../src/oci/docker-config.ts";
import { parseReference } from "../../src/oci/reference.ts";
import { RecordingReporter } from "../../src/report/reporter.ts";
import { RegistryClient, sha256Digest } from "../../src/oci/registry-client.ts";
import type { Descriptor, ImageManifest } from "../../src/oci/types.ts";
import {
  makeHtpasswd,
  startRegistry,
  type TestRegistry,
} from "../helpers/registry.ts";

const encoder = new TextEncoder();
let registry: TestRegistry;
const client = new RegistryClient({ credentials: async () => undefined });

beforeAll(async () => {
  registry = await startRegistry();
}, 15_000);
afterAll(async () => {
  await registry.stop();
});

/**
 * Pushes a config and one layer, then the manifest at `tag`, and returns the
 * manifest digest and parts.
 */
async function pushPackage(repository: string, tag: string, layerText: string) {
  const config = await client.pushBlob(
    registry.host,
    repository,
    encoder.encode('{"type":"bundle"}'),
    MediaType.ocxPackageConfig,
  );
  const layer = await client.pushBlob(
    registry.host,
    repository,
    encoder.encode(layerText),
    MediaType.layerTarGzip,
  );
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.imageManifest,
    artifactType: MediaType.ocxPackage,
    config,
    layers: [layer],
  };
  const bytes = encoder.encode(JSON.stringify(manifest));
  const reference = parseReference(`${registry.host}/${repository}:${tag}`);
  const digest = await client.pushManifest(
    reference,
    bytes,
    MediaType.imageManifest,
  );
  return { digest, bytes, config, layer, manifest };
}

/** Pushes `team/multi:1.0`, an index of linux/amd64 and linux/arm64 manifests. */
async function pushMultiPlatformIndex() {
  const amd64 = await pushPackage("team/multi", "amd64", "amd64 layer");
  const arm64 = await pushPackage("team/multi", "arm64", "arm64 layer");
  const entry = (pushed: typeof amd64, architecture: string) => ({
    mediaType: MediaType.imageManifest,
    digest: pushed.digest,
    size: pushed.bytes.byteLength,
    platform: { os: "linux", architecture },
  });
  const index = {
    schemaVersion: 2,
    mediaType: MediaType.imageIndex,
    manifests: [entry(amd64, "amd64"), entry(arm64, "arm64")],
  };
  const reference = parseReference(`${registry.host}/team/multi:1.0`);
  const indexDigest = await client.pushManifest(
    reference,
    encoder.encode(JSON.stringify(index)),
    MediaType.imageIndex,
  );
  return { reference, indexDigest, amd64, arm64 };
}

describe("RegistryClient against docker-registry", () => {
  test("round-trips a pushed manifest", async () => {
    const pushed = await pushPackage("team/tool", "1.0", "layer one");

    const fetched = await client.getManifest(
      parseReference(`${registry.host}/team/tool:1.0`),
    );

    expect(fetched.digest).toBe(pushed.digest);
    expect(fetched.digest).toBe(sha256Digest(pushed.bytes));
    expect(fetched.mediaType).toBe(MediaType.imageManifest);
    expect(fetched.bytes).toEqual(pushed.bytes);
    expect(fetched.manifest).toEqual(pushed.manifest);
  });

  test("round-trips a blob through fetchBlob", async () => {
    const { layer } = await pushPackage(
      "team/tool",
      "1.1",
      "layer bytes for streaming",
    );

    const stream = await client.fetchBlob(registry.host, "team/tool", layer);
    const text = await new Response(stream).text();

    expect(text).toBe("layer bytes for streaming");
  });

  test("reports download events", async () => {
    const { layer } = await pushPackage("team/events", "1", "event layer");
    const reporter = new RecordingReporter();
    const observed = new RegistryClient({
      credentials: async () => undefined,
      reporter,
    });

    await observed.fetchBlobBytes(registry.host, "team/events", layer);

    const kinds = reporter.events.map((event) => event.kind);
    expect(kinds[0]).toBe("download-start");
    expect(kinds).toContain("download-progress");
    expect(kinds.at(-1)).toBe("download-end");
  });

  test("pushes a blob streamed from a file", async () => {
    const directory = await mkdtemp(join(tmpdir(), "ocx-push-"));
    const bytes = new Uint8Array(3 * 1024 * 1024).map(
      (_, index) => index % 251,
    );
    const path = join(directory, "blob.bin");
    await writeFile(path, bytes);
    const source = {
      path,
      digest: sha256Digest(bytes),
      size: bytes.byteLength,
    };

    const descriptor = await client.pushBlob(
      registry.host,
      "team/file",
      source,
      MediaType.layerTar,
    );
    const fetched = await client.fetchBlobBytes(
      registry.host,
      "team/file",
      descriptor,
    );
    await rm(directory, { recursive: true, force: true });

    expect(descriptor).toEqual({
      mediaType: MediaType.layerTar,
      digest: source.digest,
      size: source.size,
    });
    expect(sha256Digest(fetched)).toBe(source.digest);
  });

  test("reports whether a blob exists", async () => {
    const { layer } = await pushPackage("team/exists", "1", "present");

    expect(
      await client.blobExists(registry.host, "team/exists", layer.digest),
    ).toBe(true);
    expect(
      await client.blobExists(
        registry.host,
        "team/exists",
        sha256Digest(encoder.encode("absent")),
      ),
    ).toBe(false);
  });

  test("resolveManifest picks the entry for the platform", async () => {
    const { reference, indexDigest, arm64 } = await pushMultiPlatformIndex();

    const resolved = await client.resolveManifest(reference, {
      os: "linux",
      architecture: "arm64",
    });

    expect(resolved.digest).toBe(arm64.digest);
    expect(resolved.indexDigest).toBe(indexDigest);
    expect(resolved.manifest.layers[0]?.digest).toBe(arm64.layer.digest);
  });

  test("resolveManifest lists available platforms when none match", async () => {
    const { reference } = await pushMultiPlatformIndex();

    const failure = client.resolveManifest(reference, {
      os: "darwin",
      architecture: "arm64",
    });

    await expect(failure).rejects.toMatchObject({
      code: OCI_PLATFORM_NOT_FOUND,
    });
    await expect(failure).rejects.toThrow("available linux/amd64, linux/arm64");
  });

  test("resolveManifest returns a single manifest as is", async () => {
    const pushed = await pushPackage("team/single", "1", "single layer");

    const resolved = await client.resolveManifest(
      parseReference(`${registry.host}/team/single:1`),
      { os: "linux", architecture: "amd64" },
    );

    expect(resolved.digest).toBe(pushed.digest);
    expect(resolved.indexDigest).toBeUndefined();
  });

  test("skopeo copies a pushed package", async () => {
    const pushed = await pushPackage("team/skopeo", "2.0", "skopeo layer");
    const directory = await mkdtemp(join(tmpdir(), "ocx-skopeo-"));

    // skopeo refuses `inspect` on artifacts with a non-image config, but
    // `copy` reads the manifest and verifies every blob digest.
    const source = `docker://${registry.host}/team/skopeo:2.0`;
    const result = Bun.spawnSync([
      "skopeo",
      "copy",
      "--quiet",
      "--src-tls-verify=false",
      source,
      `dir:${directory}`,
    ]);
    const copied = await Bun.file(join(directory, "manifest.json")).text();
    await rm(directory, { recursive: true, force: true });

    expect(result.stderr.toString()).toBe("");
    expect(result.exitCode).toBe(0);
    expect(copied).toBe(new TextDecoder().decode(pushed.bytes));
  });

  test("skopeo reads a pushed image index", async () => {
    await pushMultiPlatformIndex();
    const source = `docker://${registry.host}/team/multi:1.0`;

    const result = Bun.spawnSync([
      "skopeo",
      "inspect",
      "--raw",
      "--tls-verify=false",
      source,
    ]);
    const index = JSON.parse(result.stdout.toString());

    expect(result.exitCode).toBe(0);
    expect(index.mediaType).toBe(MediaType.imageIndex);
    expect(index.manifests).toHaveLength(2);
  });

  test("getManifest fails for an unknown tag", async () => {
    const failure = client.getManifest(
      parseReference(`${registry.host}/team/tool:missing`),
    );

    await expect(failure).rejects.toMatchObject({
      code: OCI_MANIFEST_NOT_FOUND,
      exitCode: 65,
    });
  });

  test("fetchBlob fails for an unknown digest", async () => {
    const descriptor: Descriptor = {
      mediaType: MediaType.layerTar,
      digest: sha256Digest(encoder.encode("nope")),
      size: 4,
    };

    await expect(
      client.fetchBlob(registry.host, "team/tool", descriptor),
    ).rejects.toMatchObject({ code: OCI_BLOB_NOT_FOUND });
  });

  test("fetchBlob stream errors on a wrong size", async () => {
    const { layer } = await pushPackage("team/size", "1", "twelve bytes");

    const stream = await client.fetchBlob(registry.host, "team/size", {
      ...layer,
      size: layer.size - 1,
    });

    await expect(new Response(stream).arrayBuffer()).rejects.toMatchObject({
      code: OCI_BLOB_SIZE_MISMATCH,
    });
  });
});

describe("RegistryClient with htpasswd", () => {
  let secured: TestRegistry;
  const authed = new RegistryClient({
    credentials: async () => ({ username: "u", password: "p" }),
  });

  /**
   * Pushes an empty-config manifest at `tag` in `team/locked` and returns its
   * digest.
   */
  async function pushLocked(tag: string): Promise<string> {
    const config = await authed.pushBlob(
      secured.host,
      "team/locked",
      encoder.encode("{}"),
      MediaType.empty,
    );
    const manifest = {
      schemaVersion: 2,
      mediaType: MediaType.imageManifest,
      config,
      layers: [],
    };
    const reference = parseReference(`${secured.host}/team/locked:${tag}`);
    return authed.pushManifest(
      reference,
      encoder.encode(JSON.stringify(manifest)),
      MediaType.imageManifest,
    );
  }

  beforeAll(async () => {
    secured = await startRegistry({ htpasswd: await makeHtpasswd("u", "p") });
    await pushLocked("1");
  }, 15_000);
  afterAll(async () => {
    await secured.stop();
  });

  test("sends Basic credentials", async () => {
    const digest = await pushLocked("2");

    const fetched = await authed.getManifest(
      parseReference(`${secured.host}/team/locked:2`),
    );

    expect(fetched.digest).toBe(digest);
  });

  test("fails without credentials, naming the registry", async () => {
    const anonymous = new RegistryClient({
      credentials: async () => undefined,
    });

    const failure = anonymous.getManifest(
      parseReference(`${secured.host}/team/locked:1`),
    );

    await expect(failure).rejects.toMatchObject({ code: OCI_UNAUTHORIZED });
    await expect(failure).rejects.toThrow(secured.host);
  });

  test.each([
    ["matching host and port", (host: string) => host, true],
    ["another port", (host: string) => host.replace(/:\d+$/, ":1"), false],
  ])("reads docker config credentials: %s", async (_, keyFor, isAccepted) => {
    const directory = await mkdtemp(join(tmpdir(), "ocx-docker-"));
    await writeFile(
      join(directory, "config.json"),
      JSON.stringify({
        auths: {
          [`https://${keyFor(secured.host)}/v2/`]: { auth: btoa("u:p") },
        },
      }),
    );
    const env = { DOCKER_CONFIG: directory, PATH: process.env.PATH };
    const fromConfig = new RegistryClient({
      credentials: (host) => readDockerCredentials(host, { env }),
    });

    const result = fromConfig
      .getManifest(parseReference(`${secured.host}/team/locked:1`))
      .then(
        () => "ok",
        (error) => error.code,
      );
    const outcome = await result;
    await rm(directory, { recursive: true, force: true });

    expect(outcome).toBe(isAccepted ? "ok" : OCI_UNAUTHORIZED);
  });
});
