import { describe, expect, test } from "bun:test";
import { MediaType } from "../../src/oci/media-types.ts";
import {
  currentPlatform,
  formatPlatform,
  listPlatforms,
  selectPlatform,
} from "../../src/oci/platform.ts";
import type { ImageIndex, Platform } from "../../src/oci/types.ts";

function entry(digestChar: string, platform?: Platform) {
  return {
    mediaType: MediaType.imageManifest,
    digest: `sha256:${digestChar.repeat(64)}`,
    size: 10,
    ...(platform ? { platform } : {}),
  };
}

const index: ImageIndex = {
  schemaVersion: 2,
  manifests: [
    entry("0"),
    entry("1", { os: "linux", architecture: "amd64" }),
    entry("2", { os: "linux", architecture: "arm64", variant: "v8" }),
    entry("3", { os: "linux", architecture: "arm64" }),
    entry("4", { os: "darwin", architecture: "arm64" }),
  ],
};

describe("selectPlatform", () => {
  test.each([
    [{ os: "linux", architecture: "amd64" }, "1"],
    [{ os: "linux", architecture: "arm64" }, "3"],
    [{ os: "linux", architecture: "arm64", variant: "v8" }, "2"],
    [{ os: "darwin", architecture: "arm64" }, "4"],
  ])("picks the entry for %o", (platform, digestChar) => {
    expect(selectPlatform(index, platform)?.digest).toBe(
      `sha256:${digestChar.repeat(64)}`,
    );
  });

  test("returns undefined without a match", () => {
    expect(
      selectPlatform(index, { os: "windows", architecture: "amd64" }),
    ).toBeUndefined();
  });

  test("falls back to a variant entry", () => {
    const onlyVariant: ImageIndex = {
      schemaVersion: 2,
      manifests: [
        entry("2", { os: "linux", architecture: "arm64", variant: "v8" }),
      ],
    };

    expect(
      selectPlatform(onlyVariant, { os: "linux", architecture: "arm64" })
        ?.digest,
    ).toBe(`sha256:${"2".repeat(64)}`);
  });
});

describe("listPlatforms", () => {
  test("skips entries without a platform", () => {
    expect(listPlatforms(index)).toEqual([
      "linux/amd64",
      "linux/arm64/v8",
      "linux/arm64",
      "darwin/arm64",
    ]);
  });
});

describe("formatPlatform", () => {
  test("omits a missing variant", () => {
    expect(formatPlatform({ os: "linux", architecture: "amd64" })).toBe(
      "linux/amd64",
    );
  });
});

describe("currentPlatform", () => {
  test("uses OCI names", () => {
    const platform = currentPlatform();

    expect(["linux", "darwin", "windows"]).toContain(platform.os);
    expect(platform.architecture).not.toBe("x64");
  });
});
