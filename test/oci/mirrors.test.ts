import { describe, expect, test } from "bun:test";
import { mirrorRepository, mirrorRequestKind } from "../../src/oci/mirrors.ts";

describe("mirrorRequestKind", () => {
  test.each([
    ["GET", "/v2/team/tool/manifests/1.0", "tags"],
    ["HEAD", "/v2/team/tool/manifests/sha256:abc", "digests"],
    ["GET", "/v2/team/tool/blobs/sha256:abc", "digests"],
    ["POST", "/v2/team/tool/blobs/uploads/", undefined],
    ["PUT", "/v2/team/tool/manifests/1.0", undefined],
    ["GET", "/v2/other/tool/manifests/1.0", undefined],
  ])("%s %s is %p", (method, path, kind) => {
    expect(mirrorRequestKind(method, path, "team/tool")).toBe(kind as never);
  });
});

describe("mirrorRepository", () => {
  test("adds the prefix", () => {
    expect(mirrorRepository({ registry: "m", prefix: "hub", serves: [] }, "team/tool")).toBe("hub/team/tool");
  });

  test("keeps the name without a prefix", () => {
    expect(mirrorRepository({ registry: "m", prefix: "", serves: [] }, "team/tool")).toBe("team/tool");
  });
});
