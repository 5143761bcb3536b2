import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { Sandbox, toolPackage, type PackageSpec } from "./harness.ts";

let registry: TestRegistry;
let publisher: Sandbox;
let reg: string;

function constants(values: Record<string, string>, files: Record<string, string> = { "marker.txt": "x" }): PackageSpec {
  return {
    metadata: { type: "bundle", version: 1, env: Object.entries(values).map(([key, value]) => ({ key, type: "constant", value })) },
    files,
  };
}

async function publishRules(base: string, rules: unknown[]): Promise<void> {
  const file = join(publisher.root, `rules-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify({ version: 1, rules }));
  await publisher.ok(["patch", "publish", file, "--for", base]);
}

async function patchedSandbox(extra = ""): Promise<Sandbox> {
  const sandbox = await Sandbox.create();
  await sandbox.writeUserConfig(`${extra}[patches]\nregistry = "${reg}/ocx-patches"\n`);
  return sandbox;
}

async function envOf(sandbox: Sandbox, reference: string): Promise<Record<string, string>> {
  return JSON.parse(await sandbox.ok(["env", "--json", reference])).env;
}

beforeAll(async () => {
  registry = await startRegistry();
  reg = registry.host;
  publisher = await patchedSandbox();
});

afterAll(async () => {
  await publisher?.cleanup();
  await registry?.stop();
});

describe("ocx patch sync", () => {
  test("refreshes every known descriptor", async () => {
    await publisher.publish(`${reg}/team/sync:1`, toolPackage("sync", "sync"));
    await publisher.publish(`${reg}/corp/first:1`, constants({ WHICH: "first" }));
    await publisher.publish(`${reg}/corp/second:1`, constants({ WHICH: "second" }));
    await publishRules(`${reg}/team/sync:1`, [{ match: "*", packages: [`${reg}/corp/first:1`] }]);
    const sandbox = await patchedSandbox();
    await sandbox.ok(["install", `${reg}/team/sync:1`]);
    await publishRules(`${reg}/team/sync:1`, [{ match: "*", packages: [`${reg}/corp/second:1`] }]);
    expect((await envOf(sandbox, `${reg}/team/sync:1`)).WHICH).toBe("first");

    const { outcomes } = JSON.parse(await sandbox.ok(["patch", "sync", "--json"]));
    expect(outcomes.map((outcome: { status: string; repository: string }) => `${outcome.status} ${outcome.repository}`)).toEqual([
      `synced ${reg}/ocx-patches/${reg.replace(":", "_")}/team/sync`,
      `none ${reg}/ocx-patches/global`,
    ]);
    expect((await envOf(sandbox, `${reg}/team/sync:1`)).WHICH).toBe("second");
    await sandbox.cleanup();
  });

  test("fails with 69 when the patch registry is down", async () => {
    const sandbox = await Sandbox.create();
    await sandbox.writeUserConfig('[patches]\nregistry = "127.0.0.1:9/ocx-patches"\n');
    const result = await sandbox.run(["patch", "sync"]);
    expect(result.stdout).toBe("failed 127.0.0.1:9/ocx-patches/global\n");
    expect(result.exitCode).toBe(69);
    await sandbox.cleanup();
  });
});

describe("ocx patch freeze", () => {
  test("pins the descriptor and companion digests after the tags move", async () => {
    await publisher.publish(`${reg}/team/app:1`, toolPackage("app", "app"));
    await publisher.publish(`${reg}/corp/pin:1`, constants({ PIN: "one" }));
    await publisher.publish(`${reg}/corp/other:1`, constants({ OTHER: "yes" }));
    await publishRules(`${reg}/team/app:1`, [{ match: "*", packages: [`${reg}/corp/pin:1`] }]);
    const freezer = await patchedSandbox();
    await freezer.ok(["install", `${reg}/team/app:1`]);
    const snapshotFile = join(freezer.root, "patches.lock.json");
    await freezer.ok(["patch", "freeze", "--output", snapshotFile]);
    const snapshot = JSON.parse(await readFile(snapshotFile, "utf8"));
    const frozenDigest = snapshot.companions[`${reg}/corp/pin:1`];
    expect(frozenDigest).toStartWith("sha256:");

    // Both tags move: the companion gets new content, the descriptor a new rule.
    await publisher.publish(`${reg}/corp/pin:1`, constants({ PIN: "two" }));
    await publishRules(`${reg}/team/app:1`, [{ match: "*", packages: [`${reg}/corp/pin:1`, `${reg}/corp/other:1`] }]);

    const pinned = await patchedSandbox(`patch-snapshot = "${snapshotFile}"\n`);
    const env = await envOf(pinned, `${reg}/team/app:1`);
    expect(env.PIN).toBe("one");
    expect(env.OTHER).toBeUndefined();
    const { edges, order } = JSON.parse(await pinned.ok(["deps", "--json", `${reg}/team/app:1`]));
    expect(edges.filter((edge: { kind: string }) => edge.kind === "patch").length).toBe(1);
    // A single-platform push: the tag's digest is the platform manifest's.
    expect(order.find((node: { identifier: string }) => node.identifier === `${reg}/corp/pin:1`).digest).toBe(frozenDigest);

    // The pinned companion is kept alive by the install it patches.
    await pinned.ok(["clean"]);
    expect(JSON.parse(await pinned.ok(["env", "--json", "--offline", `${reg}/team/app:1`])).env.PIN).toBe("one");

    const unpinned = await patchedSandbox();
    expect((await envOf(unpinned, `${reg}/team/app:1`)).PIN).toBe("two");
    for (const sandbox of [freezer, pinned, unpinned]) await sandbox.cleanup();
  });

  test("a user snapshot leaves enforced sources unpinned", async () => {
    const sandbox = await Sandbox.create();
    await writeFile(sandbox.systemConfig, `[patches]\nregistry = "${reg}/ocx-patches"\nenforced = true\n`);
    const empty = join(sandbox.root, "empty.lock.json");
    await writeFile(empty, JSON.stringify({ version: 1, descriptors: {}, companions: {} }));
    await sandbox.writeUserConfig(`patch-snapshot = "${empty}"\n`);
    expect((await envOf(sandbox, `${reg}/team/app:1`)).PIN).toBe("two");
    await sandbox.cleanup();
  });

  test("an invalid snapshot fails with 65", async () => {
    const sandbox = await patchedSandbox(`patch-snapshot = "missing.lock.json"\n`);
    const result = await sandbox.run(["env", `${reg}/team/app:1`]);
    expect(result.stderr).toContain("PATCH_SNAPSHOT_INVALID");
    expect(result.exitCode).toBe(65);
    await sandbox.cleanup();
  });
});

describe("ocx doctor", () => {
  let certs: string;
  let server: ReturnType<typeof Bun.serve>;

  beforeAll(async () => {
    certs = await mkdtemp(join(tmpdir(), "ocx-tls-"));
    await makeCertificates(certs);
    server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      tls: { cert: await readFile(join(certs, "server.pem"), "utf8"), key: await readFile(join(certs, "server.key"), "utf8") },
      fetch: () => new Response("ok"),
    });
    const caPem = await readFile(join(certs, "ca.pem"), "utf8");
    await publisher.publish(`${reg}/team/web:1`, toolPackage("web", "web"));
    await publisher.publish(`${reg}/corp/test-ca:1`, constants({ SSL_CERT_FILE: "${installPath}/ca.pem" }, { "ca.pem": caPem }));
    await publishRules(`${reg}/team/web:1`, [{ match: "*", packages: [`${reg}/corp/test-ca:1`] }]);
  });

  afterAll(async () => {
    server?.stop(true);
    if (certs) await rm(certs, { recursive: true, force: true });
  });

  test("trusts the server with the CA companion", async () => {
    const sandbox = await patchedSandbox();
    await sandbox.ok(["install", `${reg}/team/web:1`]);
    const result = await sandbox.run(["doctor", `https://127.0.0.1:${server.port}/`, `${reg}/team/web:1`, "--json"]);
    const report = JSON.parse(result.stdout);
    expect(report.tls).toMatchObject({ isTrusted: true, issuer: "ocx test CA", caFiles: [{ variable: "SSL_CERT_FILE" }] });
    expect(report.registries).toEqual([{ registry: reg, status: "reachable", detail: "HTTP 200" }]);
    expect(report.patchSources).toEqual([
      { registry: `${reg}/ocx-patches`, required: true, enforced: false, global: "none", packages: { synced: 1, none: 0 } },
    ]);
    expect(result.exitCode).toBe(0);
    await sandbox.cleanup();
  });

  test("reports the chain untrusted without the companion", async () => {
    const sandbox = await Sandbox.create();
    const result = await sandbox.run(["doctor", `https://127.0.0.1:${server.port}/`, `${reg}/team/web:1`]);
    expect(result.stdout).toContain(`FAIL tls https://127.0.0.1:${server.port}/: untrusted: UNABLE_TO_VERIFY_LEAF_SIGNATURE`);
    expect(result.stdout).toContain("CA: built-in roots; server certificate localhost issued by ocx test CA");
    expect(result.exitCode).toBe(1);
    await sandbox.cleanup();
  });

  test("reports an unreachable patch registry and a never-synced required source", async () => {
    const sandbox = await Sandbox.create();
    await sandbox.writeUserConfig('[patches]\nregistry = "127.0.0.1:9/ocx-patches"\n');
    const result = await sandbox.run(["doctor"]);
    expect(result.stdout).toContain("FAIL registry 127.0.0.1:9: unreachable");
    expect(result.stdout).toContain("FAIL patches 127.0.0.1:9/ocx-patches (required): global descriptor never-synced");
    expect(result.exitCode).toBe(1);
    await sandbox.cleanup();
  });

  test("reports an invalid config tier", async () => {
    const sandbox = await Sandbox.create();
    await sandbox.writeUserConfig("offline = 1\n");
    const result = await sandbox.run(["doctor", "--json"]);
    expect(JSON.parse(result.stdout).config).toMatchObject({ status: "invalid", error: { code: "CONFIG_INVALID" } });
    expect(result.exitCode).toBe(1);
    await sandbox.cleanup();
  });
});

/** Makes a test CA and a server certificate for 127.0.0.1 signed by it, with the openssl CLI. */
async function makeCertificates(dir: string): Promise<void> {
  const run = (args: string[]) => {
    const result = Bun.spawnSync(["openssl", ...args], { cwd: dir, stderr: "pipe" });
    if (result.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr.toString()}`);
  };
  run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=ocx test CA"]);
  run(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"]);
  await writeFile(join(dir, "ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n");
  run(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf"]);
}
