import { describe, expect, test } from "bun:test";
import { parseManifest } from "../../src/oci/manifest.ts";
import { MediaType } from "../../src/oci/media-types.ts";

const encoder = new TextEncoder();
const descriptor = { mediaType: MediaType.empty, digest: `sha256:${"a".repeat(64)}`, size: 2 };
const manifest = { schemaVersion: 2, config: descriptor, layers: [] };
const index = { schemaVersion: 2, manifests: [{ ...descriptor, platform: { os: "linux", architecture: "amd64" } }] };

function parse(json: unknown, contentType: string | null = null) {
  return parseManifest(encoder.encode(JSON.stringify(json)), contentType);
}

describe("parseManifest", () => {
  test("prefers the body mediaType over Content-Type", () => {
    const result = parse({ ...index, mediaType: MediaType.imageIndex }, MediaType.imageManifest);

    expect(result.ok && result.value.kind).toBe("index");
  });

  test.each([
    [MediaType.imageManifest, manifest, "manifest"],
    [MediaType.dockerManifest, manifest, "manifest"],
    [MediaType.imageIndex, index, "index"],
    [MediaType.dockerManifestList, index, "index"],
  ])("reads Content-Type %s", (contentType, body, kind) => {
    const result = parse(body, `${contentType}; charset=utf-8`);

    expect(result.ok && result.value).toMatchObject({ kind, mediaType: contentType });
  });

  test("guesses from the shape without any media type", () => {
    const result = parse(index, "application/json");

    expect(result.ok && result.value.mediaType).toBe(MediaType.imageIndex);
  });

  test.each([
    ["not JSON", "{", "not JSON"],
    ["an array", "[]", "not a JSON object"],
    ["a manifest without config", JSON.stringify({ schemaVersion: 2, mediaType: MediaType.imageManifest, layers: [] }), "config"],
    ["schemaVersion 1", JSON.stringify({ ...manifest, schemaVersion: 1 }), "schemaVersion"],
    ["an unsupported type", JSON.stringify({ ...manifest, mediaType: "application/vnd.docker.distribution.manifest.v1+json" }), "unsupported media type"],
    ["a negative size", JSON.stringify({ ...manifest, config: { ...descriptor, size: -1 } }), "config.size"],
  ])("rejects %s", (_, text, reason) => {
    const result = parseManifest(encoder.encode(text), null);

    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toContain(reason);
  });
});
