import { afterEach, describe, expect, test } from "bun:test";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OCI_DIGEST_MISMATCH } from "../../src/oci/errors.ts";
import { MediaType } from "../../src/oci/media-types.ts";
import { RegistryClient } from "../../src/oci/registry-client.ts";
import { RecordingReporter } from "../../src/report/reporter.ts";
import {
  FakeContent,
  serveContent,
  startFaultRegistry,
  type FaultRegistry,
} from "../helpers/fault-registry.ts";

const servers: FaultRegistry[] = [];
const directories: string[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
  await Promise.all(directories.splice(0).map((path) => rm(path, { recursive: true, force: true })));
});

const BLOB = new TextEncoder().encode("a layer of some length ".repeat(100));

/** Serves BLOB, but returns `fault` for the first `count` blob requests. */
function faultyBlobs(count: number, fault: () => Response) {
  const content = new FakeContent();
  const { digest, size } = content.addBlob(BLOB);
  let failures = 0;
  const server = startFaultRegistry((request, url) => {
    if (url.pathname.includes("/blobs/") && failures < count) {
      failures++;
      return fault();
    }
    return serveContent(content, request, url);
  });
  servers.push(server);
  return { server, descriptor: { digest, size, mediaType: MediaType.layerTarGzip } };
}

async function target(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), "ocx-download-"));
  directories.push(directory);
  return join(directory, "blob");
}

function client(options: { stallTimeoutMs?: number } = {}) {
  const reporter = new RecordingReporter();
  const registry = new RegistryClient({
    credentials: async () => undefined,
    reporter,
    sleep: async () => {},
    ...options,
  });
  return { registry, reporter };
}

describe("RegistryClient.downloadBlob", () => {
  test("writes a verified blob to disk", async () => {
    const { server, descriptor } = faultyBlobs(0, () => new Response());
    const path = await target();

    const result = await client().registry.downloadBlob(server.host, "team/tool", descriptor, { path });

    expect(new Uint8Array(await readFile(path))).toEqual(BLOB);
    expect(result.attempts).toBe(1);
  });

  test("fetches a truncated body once more", async () => {
    const { server, descriptor } = faultyBlobs(1, () => new Response(BLOB.slice(0, 100)));
    const path = await target();
    const { registry, reporter } = client();

    const result = await registry.downloadBlob(server.host, "team/tool", descriptor, { path });

    expect(result.attempts).toBe(2);
    expect(new Uint8Array(await readFile(path))).toEqual(BLOB);
    expect(reporter.messages("warn")[0]).toContain("trying once more");
  });

  test("fails clearly when the digest differs twice", async () => {
    const wrong = BLOB.map((byte) => byte ^ 1);
    const { server, descriptor } = faultyBlobs(2, () => new Response(wrong));
    const path = await target();

    const failure = client().registry.downloadBlob(server.host, "team/tool", descriptor, { path });

    await expect(failure).rejects.toMatchObject({ code: OCI_DIGEST_MISMATCH });
    await expect(failure).rejects.toThrow(
      `from "${server.host}/team/tool" failed after 2 attempts`,
    );
    await expect(failure).rejects.toMatchObject({ hint: expect.stringContaining("proxy or mirror") });
  });

  test("passes a digest mismatch that happens once", async () => {
    const wrong = BLOB.map((byte) => byte ^ 1);
    const { server, descriptor } = faultyBlobs(1, () => new Response(wrong));
    const path = await target();

    const result = await client().registry.downloadBlob(server.host, "team/tool", descriptor, { path });

    expect(result.attempts).toBe(2);
  });

  test("fetches a stalled body once more", async () => {
    const stall = () =>
      new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(BLOB.slice(0, 10));
          },
        }),
      );
    const { server, descriptor } = faultyBlobs(1, stall);
    const path = await target();

    const result = await client({ stallTimeoutMs: 100 }).registry.downloadBlob(
      server.host,
      "team/tool",
      descriptor,
      { path },
    );

    expect(result.attempts).toBe(2);
    expect(new Uint8Array(await readFile(path))).toEqual(BLOB);
  });

  test("labels progress events with the package", async () => {
    const { server, descriptor } = faultyBlobs(0, () => new Response());
    const { registry, reporter } = client();

    await registry.downloadBlob(server.host, "team/tool", descriptor, {
      path: await target(),
      package: "reg/team/tool:1",
    });

    const kinds = reporter.events.filter((event) => "package" in event && event.package === "reg/team/tool:1");
    expect(kinds.map((event) => event.kind)).toContain("download-end");
  });
});
