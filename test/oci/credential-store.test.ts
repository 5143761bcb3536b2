import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readDockerCredentials } from "../../src/oci/docker-config.ts";
import {
  OCI_CREDENTIAL_STORE_FAILED,
  eraseDockerCredentials,
  storeDockerCredentials,
} from "../../src/oci/credential-store.ts";

const REGISTRY = "reg.test:5443";
let directory: string;
let env: Record<string, string | undefined>;
let configPath: string;
let helperLog: string;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "ocx-credential-store-"));
  const bin = join(directory, "bin");
  await mkdir(bin);
  helperLog = join(directory, "helper.log");
  // Records each call with its stdin; `erase` of an unknown server fails like the real helpers.
  const helper = join(bin, "docker-credential-fake");
  await writeFile(
    helper,
    `#!/bin/sh\ninput=$(cat)\necho "$1 $input" >> ${helperLog}\nif [ "$1" = erase ] && [ "$input" != "${REGISTRY}" ]; then echo "credentials not found in native keychain"; exit 1; fi\n`,
  );
  await chmod(helper, 0o755);
  env = { DOCKER_CONFIG: join(directory, "dc"), PATH: `${bin}:${process.env.PATH}`, HOME: directory };
  configPath = join(directory, "dc", "config.json");
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function readConfig(): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(configPath, "utf8"));
}

describe("storeDockerCredentials", () => {
  test("writes an auths entry that reading finds", async () => {
    await storeDockerCredentials(REGISTRY, { username: "u", password: "p w" }, { env });

    expect(await readDockerCredentials(REGISTRY, { env })).toEqual({ username: "u", password: "p w" });
  });

  test("creates the file with mode 0600", async () => {
    await storeDockerCredentials(REGISTRY, { username: "u", password: "p" }, { env });

    expect((await stat(configPath)).mode & 0o777).toBe(0o600);
  });

  test("keeps unknown keys and other registries", async () => {
    await mkdir(join(directory, "dc"));
    await writeFile(configPath, JSON.stringify({ auths: { "other:1": { auth: "eA==" } }, proxies: { default: {} } }));

    await storeDockerCredentials(REGISTRY, { username: "u", password: "p" }, { env });

    const config = await readConfig();
    expect(config.proxies).toEqual({ default: {} });
    expect(Object.keys(config.auths as object).sort()).toEqual(["other:1", REGISTRY]);
  });

  test("replaces entries that name the same registry", async () => {
    await mkdir(join(directory, "dc"));
    await writeFile(configPath, JSON.stringify({ auths: { [`https://${REGISTRY}/v2/`]: { auth: btoa("old:old") } } }));

    await storeDockerCredentials(REGISTRY, { username: "new", password: "new" }, { env });

    expect(Object.keys((await readConfig()).auths as object)).toEqual([REGISTRY]);
  });

  test("hands the secret to the credsStore helper", async () => {
    await mkdir(join(directory, "dc"));
    await writeFile(configPath, JSON.stringify({ credsStore: "fake" }));

    const stored = await storeDockerCredentials(REGISTRY, { username: "u", password: "helper-secret" }, { env });

    expect(stored.helper).toBe("fake");
    expect(await readFile(helperLog, "utf8")).toContain('"Secret":"helper-secret"');
    expect(await readFile(configPath, "utf8")).not.toContain("helper-secret");
    expect((await readConfig()).auths).toEqual({ [REGISTRY]: {} });
  });

  test("rejects a config that is not JSON without touching it", async () => {
    await mkdir(join(directory, "dc"));
    await writeFile(configPath, "{ not json");

    const failure = storeDockerCredentials(REGISTRY, { username: "u", password: "p" }, { env });

    await expect(failure).rejects.toMatchObject({ code: OCI_CREDENTIAL_STORE_FAILED });
    expect(await readFile(configPath, "utf8")).toBe("{ not json");
  });

  test("names a missing helper without the secret", async () => {
    await mkdir(join(directory, "dc"));
    await writeFile(configPath, JSON.stringify({ credsStore: "absent" }));

    const failure = storeDockerCredentials(REGISTRY, { username: "u", password: "hidden-pw" }, { env });

    await expect(failure).rejects.toThrow("docker-credential-absent store");
    await expect(failure).rejects.not.toThrow("hidden-pw");
  });
});

describe("eraseDockerCredentials", () => {
  test("removes the auths entry", async () => {
    await storeDockerCredentials(REGISTRY, { username: "u", password: "p" }, { env });

    const result = await eraseDockerCredentials(REGISTRY, { env });

    expect(result.wasStored).toBe(true);
    expect(await readDockerCredentials(REGISTRY, { env })).toBeUndefined();
  });

  test("reports a registry that had nothing", async () => {
    const result = await eraseDockerCredentials(REGISTRY, { env });
    expect(result.wasStored).toBe(false);
  });

  test("asks the helper to erase", async () => {
    await mkdir(join(directory, "dc"));
    await writeFile(configPath, JSON.stringify({ credsStore: "fake" }));

    const result = await eraseDockerCredentials(REGISTRY, { env });

    expect(result.wasStored).toBe(true);
    expect(await readFile(helperLog, "utf8")).toBe(`erase ${REGISTRY}\n`);
  });
});
