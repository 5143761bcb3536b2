import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OCI_TLS_UNTRUSTED } from "../../src/oci/errors.ts";
import { MediaType } from "../../src/oci/media-types.ts";
import { parseReference } from "../../src/oci/reference.ts";
import { RegistryClient } from "../../src/oci/registry-client.ts";
import { OCI_CA_FILE_INVALID, createTlsTrust } from "../../src/oci/tls-trust.ts";
import { makeTestCa, type TestCa } from "../helpers/certificates.ts";
import { makeHtpasswd, startRegistry, type TestRegistry } from "../helpers/registry.ts";

let ca: TestCa;
let otherCa: TestCa;
let registry: TestRegistry;
let directory: string;
let caPath: string;
let otherCaPath: string;

beforeAll(async () => {
  [ca, otherCa] = await Promise.all([makeTestCa("corp root CA"), makeTestCa("some other CA")]);
  directory = await mkdtemp(join(tmpdir(), "ocx-trust-"));
  caPath = join(directory, "corp-ca.pem");
  otherCaPath = join(directory, "other-ca.pem");
  await writeFile(caPath, ca.caCert);
  await writeFile(otherCaPath, otherCa.caCert);
  registry = await startRegistry({
    htpasswd: await makeHtpasswd("alice", "s3cret-pass"),
    tls: { cert: ca.cert, key: ca.key, ca: ca.caCert },
  });
});

afterAll(async () => {
  await registry?.stop();
  await rm(directory, { recursive: true, force: true });
});

function clientWith(caFiles: Record<string, { path: string; file: string }>, env: Record<string, string> = {}) {
  return new RegistryClient({
    isInsecure: () => false,
    credentials: async () => ({ username: "alice", password: "s3cret-pass" }),
    tls: createTlsTrust({ caFiles, env }),
    retry: { delayMs: 1 },
  });
}

describe("createTlsTrust against docker-registry over TLS with htpasswd", () => {
  test("pushes and pulls with the CA from ca_file", async () => {
    const client = clientWith({ [registry.host]: { path: caPath, file: "/etc/ocx/config.toml" } });
    const config = await client.pushBlob(registry.host, "team/tool", new TextEncoder().encode("{}"), MediaType.empty);
    const manifest = new TextEncoder().encode(
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.imageManifest, config, layers: [] }),
    );
    const reference = parseReference(`${registry.host}/team/tool:1.0`);
    const digest = await client.pushManifest(reference, manifest, MediaType.imageManifest);

    const fetched = await client.getManifest(reference);

    expect(fetched.digest).toBe(digest);
  });

  test("names host, expected CA and config key for an unknown CA", async () => {
    const failure = clientWith({}).getManifest(parseReference(`${registry.host}/team/tool:1.0`));

    await expect(failure).rejects.toMatchObject({ code: OCI_TLS_UNTRUSTED, exitCode: 69 });
    await expect(failure).rejects.toThrow(`"${registry.host}"`);
    await expect(failure).rejects.toThrow("the default CA store");
    await expect(failure).rejects.toMatchObject({
      hint: expect.stringContaining(`[registries."${registry.host}"] ca_file`),
    });
  });

  test("names the configured ca_file when the certificate is from another CA", async () => {
    const client = clientWith({ [registry.host]: { path: otherCaPath, file: "/etc/ocx/config.toml" } });

    const failure = client.getManifest(parseReference(`${registry.host}/team/tool:1.0`));

    await expect(failure).rejects.toMatchObject({ code: OCI_TLS_UNTRUSTED });
    await expect(failure).rejects.toThrow(`ca_file ${otherCaPath}`);
  });

  test("trusts SSL_CERT_FILE beside another host's ca_file", async () => {
    const client = clientWith(
      { [registry.host]: { path: otherCaPath, file: "/etc/ocx/config.toml" } },
      { SSL_CERT_FILE: caPath },
    );

    const fetched = await client.getManifest(parseReference(`${registry.host}/team/tool:1.0`));

    expect(fetched.mediaType).toBe(MediaType.imageManifest);
  });
});

describe("createTlsTrust", () => {
  test("adds the system store before the ca_file", async () => {
    const system = join(directory, "system.pem");
    await writeFile(system, otherCa.caCert);
    const trust = createTlsTrust({
      caFiles: { "corp.example": { path: caPath, file: "/etc/ocx/config.toml" } },
      env: {},
      systemBundles: [join(directory, "absent.pem"), system],
    });

    const options = await trust("corp.example:443");

    expect(options?.ca).toEqual([otherCa.caCert, ca.caCert]);
    expect(options?.caSources).toEqual([`ca_file ${caPath}`, `the system store ${system}`]);
  });

  test("leaves other hosts to the defaults", async () => {
    const trust = createTlsTrust({ caFiles: { "corp.example": { path: caPath, file: "f" } }, env: {} });
    expect(await trust("other.example")).toBeUndefined();
  });

  test("rejects a ca_file without certificates, naming the setting", async () => {
    const empty = join(directory, "empty.pem");
    await writeFile(empty, "not a certificate\n");
    const trust = createTlsTrust({ caFiles: { "corp.example": { path: empty, file: "/home/u/.ocx/config.toml" } }, env: {} });

    const failure = trust("corp.example");

    await expect(failure).rejects.toMatchObject({ code: OCI_CA_FILE_INVALID, exitCode: 65 });
    await expect(failure).rejects.toMatchObject({
      hint: expect.stringContaining('[registries."corp.example"] ca_file in /home/u/.ocx/config.toml'),
    });
  });

  test("rejects a missing ca_file", async () => {
    const trust = createTlsTrust({ caFiles: { "corp.example": { path: join(directory, "nope.pem"), file: "f" } }, env: {} });
    await expect(trust("corp.example")).rejects.toThrow("cannot be read");
  });
});
