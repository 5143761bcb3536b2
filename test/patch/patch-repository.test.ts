import { describe, expect, test } from "bun:test";

import { ExitCode, OcxError } from "../../src/error/index.ts";
import { parseReference } from "../../src/oci/reference.ts";
import { PATCH_CONFIG_INVALID } from "../../src/patch/errors.ts";
import {
  globalPatchRepository,
  patchRepositoryFor,
} from "../../src/patch/patch-repository.ts";

const jq = parseReference("localhost:5000/tools/jq:1.7");

function failure(run: () => unknown): OcxError {
  try {
    run();
  } catch (error) {
    if (error instanceof OcxError) return error;
    throw error;
  }
  throw new Error("expected an OcxError");
}

describe("patchRepositoryFor", () => {
  test("uses default template", () => {
    expect(patchRepositoryFor({ registry: "corp.example/ocx-patches" }, jq)).toEqual({
      registry: "corp.example",
      repository: "ocx-patches/localhost_5000/tools/jq",
    });
  });

  test("keeps dotted registry", () => {
    const reference = parseReference("ocx.sh/java:21");
    expect(patchRepositoryFor({ registry: "corp.example:8443/p" }, reference)).toEqual({
      registry: "corp.example:8443",
      repository: "p/ocx.sh/java",
    });
  });

  test("works without base path", () => {
    expect(patchRepositoryFor({ registry: "corp.example/" }, jq)).toEqual({
      registry: "corp.example",
      repository: "localhost_5000/tools/jq",
    });
  });

  test("applies custom template", () => {
    const config = { registry: "corp.example/p", path: "by-repo/{repository}" };
    expect(patchRepositoryFor(config, jq).repository).toBe("p/by-repo/tools/jq");
  });

  test("lowercases registry host", () => {
    const reference = { registry: "Ocx.SH", repository: "java", tag: "21", digest: undefined };
    expect(patchRepositoryFor({ registry: "corp.example/p" }, reference).repository).toBe(
      "p/ocx.sh/java",
    );
  });

  test.each([
    ["unknown placeholder", "{registry}/{tag}", "unknown placeholder {tag}"],
    ["unbalanced brace", "{registry}/{repository", "unbalanced brace"],
    ["empty segment", "{registry}//{repository}", "invalid patch repository"],
  ])("rejects %s", (_name, path, detail) => {
    const error = failure(() => patchRepositoryFor({ registry: "corp.example/p", path }, jq));
    expect(error.message).toContain(detail);
    expect(error.code).toBe(PATCH_CONFIG_INVALID);
    expect(error.exitCode).toBe(ExitCode.dataError);
  });

  test("rejects empty registry", () => {
    const error = failure(() => patchRepositoryFor({ registry: "" }, jq));
    expect(error.code).toBe(PATCH_CONFIG_INVALID);
  });

  // NOTE: an IPv6 package registry slugifies to a leading `_`, which is no
  // valid repository component, so such packages cannot have patches today.
  test("rejects IPv6 registry slug", () => {
    const reference = parseReference("[::1]:5000/tools/jq:1");
    const error = failure(() => patchRepositoryFor({ registry: "corp.example/p" }, reference));
    expect(error.code).toBe(PATCH_CONFIG_INVALID);
  });
});

describe("globalPatchRepository", () => {
  test("appends global to base", () => {
    expect(globalPatchRepository({ registry: "corp.example/ocx-patches" })).toEqual({
      registry: "corp.example",
      repository: "ocx-patches/global",
    });
  });

  test("uses global without base", () => {
    expect(globalPatchRepository({ registry: "localhost:5000" })).toEqual({
      registry: "localhost:5000",
      repository: "global",
    });
  });
});
