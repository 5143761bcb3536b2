import { describe, expect, test } from "bun:test";
import { parseManifest } from "../../src/oci/manifest.ts";
import { MediaType } from "../../src/oci/media-types.ts";

const encoder = new TextEncoder();
const descriptor = {
  mediaType: MediaType.empty,
  digest: `sha256:${"a".repeat(64)}`,
  size: 2,
};
const manifest = { schemaVersion: 2, config: descriptor, layers: [] };
const index = {
  schemaVersion: 2,
  manifests: [
    { ...descriptor, platform: { os: "linux", architecture: "amd64" } },
  ],
};

/** Parses `json`, failing the test when the parser rejects it. */
function parse(json: unknown, contentType: string | null = null) {
  const result = parseManifest(
    encoder.encode(JSON.stringify(json)),
    contentType,
  );
  if (!result.ok) throw new Error(`parse failed: ${result.reason}`);
  return result.value;
}

describe("parseManifest", () => {
  test("prefers the body mediaType over Content-Type", () => {
    const parsed = parse(
      { ...index, mediaType: MediaType.imageIndex },
      MediaType.imageManifest,
    );

    expect(parsed.kind).toBe("index");
  });

  test.each<[string, object, "index" | "manifest"]>([
    [MediaType.imageManifest, manifest, "manifest"],
    [MediaType.dockerManifest, manifest, "manifest"],
    [MediaType.imageIndex, index, "index"],
    [MediaType.dockerManifestList, index, "index"],
  ])("reads Content-Type %s", (contentType, body, kind) => {
    const parsed = parse(body, `${contentType}; charset=utf-8`);

    expect(parsed.kind).toBe(kind);
    expect(parsed.mediaType).toBe(contentType);
  });

  test("guesses from the shape without any media type", () => {
    const parsed = parse(index, "application/json");

    expect(parsed.mediaType).toBe(MediaType.imageIndex);
  });

  test.each([
    ["not JSON", "{", "not JSON"],
    ["an array", "[]", "not a JSON object"],
    [
      "a manifest without config",
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.imageManifest,
        layers: [],
      }),
      "config",
    ],
    [
      "schemaVersion 1",
      JSON.stringify({ ...manifest, schemaVersion: 1 }),
      "schemaVersion",
    ],
    [
      "an unsupported type",
      JSON.stringify({
        ...manifest,
        mediaType: "application/vnd.docker.distribution.manifest.v1+json",
      }),
      "unsupported media type",
    ],
    [
      "a negative size",
      JSON.stringify({ ...manifest, config: { ...descriptor, size: -1 } }),
      "config.size",
    ],
  ])("rejects %s", (_, text, reason) => {
    const result = parseManifest(encoder.encode(text), null);

    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.reason).toContain(reason);
  });
});
