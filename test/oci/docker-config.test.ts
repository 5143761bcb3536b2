import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import {
  chmod,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  normalizeAuthKey,
  readDockerCredentials,
} from "../../src/oci/docker-config.ts";
import { RecordingReporter } from "../../src/report/reporter.ts";

const REGISTRY = "reg.test:5443";
const SECRET = "s3cret-pw";
const AUTH_FIELD = btoa(`u:${SECRET}`);

let directory: string;
let env: Record<string, string | undefined>;
let helperLog: string;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "ocx-docker-config-"));
  const bin = join(directory, "bin");
  helperLog = join(directory, "helper.log");
  await mkdir(bin);
  await mkdir(join(directory, "dc"));
  // Prints credentials only for reg.test:5443 and logs every call with its stdin.
  await writeHelper(bin, "fake", [
    "server=$(cat)",
    `echo "$0 $1 $server" >> ${helperLog}`,
    `if [ "$server" = "${REGISTRY}" ]; then printf '{"ServerURL":"%s","Username":"u","Secret":"${SECRET}"}' "$server"; exit 0; fi`,
    'echo "credentials not found in native keychain"; exit 1',
  ]);
  await writeHelper(bin, "nope", [`echo "$0 $1" >> ${helperLog}`, "exit 1"]);
  await writeHelper(bin, "broken", ['echo "not json"']);
  env = {
    DOCKER_CONFIG: join(directory, "dc"),
    PATH: `${bin}:${process.env.PATH}`,
    HOME: directory,
  };
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function writeHelper(
  bin: string,
  name: string,
  lines: string[],
): Promise<void> {
  const path = join(bin, `docker-credential-${name}`);
  await writeFile(path, ["#!/bin/sh", ...lines].join("\n"));
  await chmod(path, 0o755);
}

async function writeConfig(config: unknown): Promise<void> {
  await writeFile(join(directory, "dc", "config.json"), JSON.stringify(config));
}

async function helperCalls(): Promise<string[]> {
  const text = await readFile(helperLog, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => line.replace(/^.*docker-credential-/, ""));
}

describe("readDockerCredentials", () => {
  test("asks credsStore for an empty auths entry", async () => {
    await writeConfig({ auths: { [REGISTRY]: {} }, credsStore: "fake" });

    const credentials = await readDockerCredentials(REGISTRY, { env });

    expect(credentials).toEqual({ username: "u", password: SECRET });
    expect(await helperCalls()).toEqual([`fake get ${REGISTRY}`]);
  });

  test.each([
    ["https://reg.test:5443"],
    ["https://reg.test:5443/v2/"],
    ["reg.test:5443"],
    ["http://REG.TEST:5443/"],
  ])("matches the auths key %s", async (key) => {
    await writeConfig({ auths: { [key]: { auth: AUTH_FIELD } } });

    const credentials = await readDockerCredentials(REGISTRY, { env });

    expect(credentials).toEqual({ username: "u", password: SECRET });
  });

  test("prefers credHelpers over credsStore", async () => {
    await writeConfig({
      credsStore: "nope",
      credHelpers: { [REGISTRY]: "fake" },
    });

    const credentials = await readDockerCredentials(REGISTRY, { env });

    expect(credentials).toEqual({ username: "u", password: SECRET });
    expect(await helperCalls()).toEqual([`fake get ${REGISTRY}`]);
  });

  test("ignores an entry for another port", async () => {
    await writeConfig({ auths: { "reg.test:5000": { auth: AUTH_FIELD } } });

    expect(await readDockerCredentials(REGISTRY, { env })).toBeUndefined();
  });

  test("ignores an entry without a port", async () => {
    await writeConfig({ auths: { "reg.test": { auth: AUTH_FIELD } } });

    expect(await readDockerCredentials(REGISTRY, { env })).toBeUndefined();
  });

  test("falls back to auths when the helper has nothing", async () => {
    await writeConfig({
      auths: { "other.test:1": { auth: AUTH_FIELD } },
      credsStore: "fake",
    });

    const credentials = await readDockerCredentials("other.test:1", { env });

    expect(credentials).toEqual({ username: "u", password: SECRET });
    expect(await helperCalls()).toEqual(["fake get other.test:1"]);
  });

  test("warns about a missing helper without the secret", async () => {
    await writeConfig({
      auths: { [REGISTRY]: { auth: AUTH_FIELD } },
      credsStore: "absent",
    });
    const reporter = new RecordingReporter();

    const credentials = await readDockerCredentials(REGISTRY, {
      env,
      reporter,
    });

    expect(credentials).toEqual({ username: "u", password: SECRET });
    expect(reporter.messages("warn")).toEqual([
      'credential helper "docker-credential-absent" not found on PATH',
    ]);
  });

  test("warns about helper output that is not JSON", async () => {
    await writeConfig({ credsStore: "broken" });
    const reporter = new RecordingReporter();

    const credentials = await readDockerCredentials(REGISTRY, {
      env,
      reporter,
    });

    expect(credentials).toBeUndefined();
    expect(reporter.messages("warn")).toEqual([
      'credential helper "docker-credential-broken" printed invalid JSON',
    ]);
  });

  test("reads username and password fields", async () => {
    await writeConfig({
      auths: { [REGISTRY]: { username: "u", password: SECRET } },
    });

    expect(await readDockerCredentials(REGISTRY, { env })).toEqual({
      username: "u",
      password: SECRET,
    });
  });

  test("uses the Docker Hub key for docker.io", async () => {
    await writeConfig({
      auths: { "https://index.docker.io/v1/": { auth: AUTH_FIELD } },
    });

    expect(await readDockerCredentials("docker.io", { env })).toEqual({
      username: "u",
      password: SECRET,
    });
  });

  test("reads ~/.docker without DOCKER_CONFIG", async () => {
    await mkdir(join(directory, ".docker"));
    await writeFile(
      join(directory, ".docker", "config.json"),
      JSON.stringify({ auths: { [REGISTRY]: { auth: AUTH_FIELD } } }),
    );

    const credentials = await readDockerCredentials(REGISTRY, {
      env: { HOME: directory, PATH: env.PATH },
    });

    expect(credentials).toEqual({ username: "u", password: SECRET });
  });

  test("returns nothing without a config file", async () => {
    expect(await readDockerCredentials(REGISTRY, { env })).toBeUndefined();
  });

  test("warns about invalid JSON without failing", async () => {
    await writeFile(join(directory, "dc", "config.json"), "{ not json");
    const reporter = new RecordingReporter();

    const credentials = await readDockerCredentials(REGISTRY, {
      env,
      reporter,
    });

    expect(credentials).toBeUndefined();
    expect(reporter.messages("warn")).toHaveLength(1);
  });
});

describe("normalizeAuthKey", () => {
  test.each([
    ["https://reg.test:5443/v2/", "reg.test:5443"],
    ["http://localhost:5000", "localhost:5000"],
    ["reg.test", "reg.test"],
    ["https://index.docker.io/v1/", "index.docker.io"],
  ])("turns %s into %s", (key, expected) => {
    expect(normalizeAuthKey(key)).toBe(expected);
  });
});
