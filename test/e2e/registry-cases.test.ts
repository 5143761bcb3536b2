import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { startFaultRegistry, type FaultRegistry } from "../helpers/fault-registry.ts";
import { Sandbox, toolPackage } from "./harness.ts";

/**
 * The registry cases of the client, run with dist/ocx against the real
 * docker-registry behind a proxy that changes what the client receives:
 * challenges, digest headers, Accept checks and credentials.
 */
let registry: TestRegistry;
let publisher: Sandbox;
const proxies: FaultRegistry[] = [];
const SCOPE = "repository:team/tool:pull";

type Handler = (request: Request, url: URL, upstream: () => Promise<Response>) => Response | Promise<Response>;

function startProxy(handler: Handler): FaultRegistry {
  const proxy = startFaultRegistry((request, url) =>
    handler(request, url, () =>
      fetch(`${registry.url}${url.pathname}${url.search}`, {
        method: request.method,
        headers: { accept: request.headers.get("accept") ?? "*/*" },
      }),
    ),
  );
  proxies.push(proxy);
  return proxy;
}

beforeAll(async () => {
  registry = await startRegistry();
  publisher = await Sandbox.create();
  await publisher.publish(`${registry.host}/team/tool:1.0`, toolPackage("tool", "tool ok"));
  await publisher.publish(`${registry.host}/team/multi:1.0`, toolPackage("multi", "multi ok"), [
    "--platform",
    "linux/amd64",
    "--platform",
    "linux/arm64",
  ]);
});

afterEach(async () => {
  await Promise.all(proxies.splice(0).map((proxy) => proxy.stop()));
});

afterAll(async () => {
  await publisher?.cleanup();
  await registry?.stop();
});

describe("WWW-Authenticate variants with dist/ocx", () => {
  const variants: [string, (realm: string) => string][] = [
    ["plain", (realm) => `Bearer realm="${realm}",service="reg.test",scope="${SCOPE}"`],
    ["spaces", (realm) => `Bearer realm="${realm}", service="reg.test", scope="${SCOPE}"`],
    ["reordered", (realm) => `Bearer scope="${SCOPE}",service="reg.test",realm="${realm}"`],
    ["unquoted token and error", (realm) => `Bearer realm="${realm}",service=reg.test,scope="${SCOPE}",error="insufficient_scope"`],
    ["lowercase scheme", (realm) => `bearer realm="${realm}",service="reg.test",scope="${SCOPE}"`],
  ];

  test.each(variants)("installs with the %s challenge", async (_name, challenge) => {
    const proxy = startProxy((request, url, upstream) => {
      if (url.pathname === "/token") {
        const isExact = url.searchParams.get("service") === "reg.test" && url.searchParams.get("scope") === SCOPE;
        return isExact ? Response.json({ token: "T" }) : new Response("wrong scope", { status: 400 });
      }
      if (request.headers.get("authorization") !== "Bearer T") {
        return new Response(null, { status: 401, headers: { "www-authenticate": challenge(`${proxy.url}/token`) } });
      }
      return upstream();
    });
    const sandbox = await Sandbox.create();

    const result = await sandbox.run(["install", `${proxy.host}/team/tool:1.0`]);

    expect(result.stderr).not.toContain("error");
    expect(result.exitCode).toBe(0);
    const token = proxy.requests.find((request) => request.path === "/token");
    expect(token?.query.get("scope")).toBe("repository:team/tool:pull");
    await sandbox.cleanup();
  });
});

describe("Docker-Content-Digest with dist/ocx", () => {
  test("installs when the header is missing", async () => {
    const proxy = startProxy(async (_request, _url, upstream) => {
      const response = await upstream();
      const headers = new Headers(response.headers);
      headers.delete("docker-content-digest");
      return new Response(response.body, { status: response.status, headers });
    });
    const sandbox = await Sandbox.create();

    const stdout = await sandbox.ok(["exec", `${proxy.host}/team/tool:1.0`, "--", "tool"]);

    expect(stdout).toBe("tool ok\n");
    await sandbox.cleanup();
  });

  test("rejects a wrong header, naming both digests", async () => {
    const wrong = `sha256:${"0".repeat(64)}`;
    const proxy = startProxy(async (_request, url, upstream) => {
      const response = await upstream();
      if (!url.pathname.includes("/manifests/")) return response;
      const headers = new Headers(response.headers);
      headers.set("docker-content-digest", wrong);
      return new Response(response.body, { status: response.status, headers });
    });
    const sandbox = await Sandbox.create();

    const result = await sandbox.run(["install", `${proxy.host}/team/tool:1.0`]);

    expect(result.stderr).toContain("OCI_DIGEST_MISMATCH");
    expect(result.stderr).toContain(wrong);
    expect(result.stderr).toMatch(/sha256:[0-9a-f]{64}".*sha256:0{64}|sha256:0{64}.*sha256:[0-9a-f]{64}/);
    expect(result.exitCode).toBe(65);
    await sandbox.cleanup();
  });

  test("never sends HEAD for a manifest", async () => {
    const proxy = startProxy((request, url, upstream) =>
      request.method === "HEAD" && url.pathname.includes("/manifests/") ? new Response(null, { status: 405 }) : upstream(),
    );
    const sandbox = await Sandbox.create();

    await sandbox.ok(["install", `${proxy.host}/team/tool:1.0`]);

    expect(proxy.requests.filter((request) => request.method === "HEAD")).toEqual([]);
    await sandbox.cleanup();
  });
});

describe("Accept header with dist/ocx", () => {
  test("installs from an image index on a strict registry", async () => {
    const proxy = startProxy(async (request, url, upstream) => {
      const response = await upstream();
      if (!url.pathname.includes("/manifests/")) return response;
      const accept = (request.headers.get("accept") ?? "").split(",").map((type) => type.trim());
      const type = response.headers.get("content-type") ?? "";
      if (!accept.includes(type)) return Response.json({ errors: [{ code: "MANIFEST_UNKNOWN" }] }, { status: 404 });
      return response;
    });
    const sandbox = await Sandbox.create();

    const stdout = await sandbox.ok(["exec", `${proxy.host}/team/multi:1.0`, "--", "multi"]);

    expect(stdout).toBe("multi ok\n");
    const accepts = proxy.requests.filter((request) => request.path.includes("/manifests/")).map((request) => request.headers.get("accept"));
    expect(accepts.length).toBe(2);
    for (const accept of accepts) {
      expect(accept).toContain("application/vnd.oci.image.index.v1+json");
      expect(accept).toContain("application/vnd.oci.image.manifest.v1+json");
      expect(accept).toContain("application/vnd.docker.distribution.manifest.v2+json");
    }
    await sandbox.cleanup();
  });
});

describe("docker config credentials with dist/ocx", () => {
  /** Starts a proxy that requires Basic `user:secret` on every request. */
  function basicProxy(user: string, secret: string): FaultRegistry {
    return startProxy((request, _url, upstream) =>
      request.headers.get("authorization") === `Basic ${btoa(`${user}:${secret}`)}`
        ? upstream()
        : new Response(null, { status: 401, headers: { "www-authenticate": 'Basic realm="corp"' } }),
    );
  }

  async function writeHelper(sandbox: Sandbox, name: string, host: string, user: string, secret: string): Promise<string> {
    const bin = join(sandbox.root, "bin");
    await mkdir(bin, { recursive: true });
    const path = join(bin, `docker-credential-${name}`);
    await writeFile(
      path,
      `#!/bin/sh\nserver=$(cat)\nif [ "$server" = "${host}" ]; then printf '{"Username":"${user}","Secret":"${secret}"}'; exit 0; fi\necho "credentials not found in native keychain"; exit 1\n`,
    );
    await chmod(path, 0o755);
    return bin;
  }

  test("asks credsStore for an empty auths entry", async () => {
    const proxy = basicProxy("u", "from-store");
    const sandbox = await Sandbox.create();
    const bin = await writeHelper(sandbox, "fake", proxy.host, "u", "from-store");
    await Bun.write(join(sandbox.root, "docker", "config.json"), JSON.stringify({ auths: { [proxy.host]: {} }, credsStore: "fake" }));

    const result = await sandbox.run(["install", `${proxy.host}/team/tool:1.0`], { env: { PATH: `${bin}:/usr/bin:/bin` } });

    expect(result.stderr).not.toContain("from-store");
    expect(result.exitCode).toBe(0);
    await sandbox.cleanup();
  });

  test("prefers credHelpers over credsStore", async () => {
    const proxy = basicProxy("u", "from-helper");
    const sandbox = await Sandbox.create();
    const bin = await writeHelper(sandbox, "specific", proxy.host, "u", "from-helper");
    await writeHelper(sandbox, "general", proxy.host, "u", "wrong");
    await Bun.write(
      join(sandbox.root, "docker", "config.json"),
      JSON.stringify({ auths: { [proxy.host]: {} }, credsStore: "general", credHelpers: { [proxy.host]: "specific" } }),
    );

    const result = await sandbox.run(["install", `${proxy.host}/team/tool:1.0`], { env: { PATH: `${bin}:/usr/bin:/bin` } });

    expect(result.exitCode).toBe(0);
    await sandbox.cleanup();
  });

  test("matches auths keys by host and port", async () => {
    const proxy = basicProxy("u", "by-port");
    const sandbox = await Sandbox.create();
    const port = proxy.host.split(":")[1];
    await Bun.write(
      join(sandbox.root, "docker", "config.json"),
      JSON.stringify({
        auths: {
          "localhost": { auth: btoa("u:no-port") },
          [`https://localhost:${port}/v2/`]: { auth: btoa("u:by-port") },
        },
      }),
    );

    const result = await sandbox.run(["install", `localhost:${port}/team/tool:1.0`]);

    expect(result.exitCode).toBe(0);
    expect(proxy.requests.every((request) => request.headers.get("host") === `localhost:${port}`)).toBe(true);
    await sandbox.cleanup();
  });
});

describe("plain HTTP and HTTPS with dist/ocx", () => {
  test("fails without retrying over HTTP when HTTPS meets plain HTTP", async () => {
    const sandbox = await Sandbox.create();
    await sandbox.writeUserConfig(`[registries]\ntls = ["${registry.host}"]\n`);

    const result = await sandbox.run(["install", `${registry.host}/team/tool:1.0`]);

    expect(result.stderr).toContain("OCI_PLAIN_HTTP_TO_HTTPS");
    expect(result.stderr).toContain(`insecure = ["${registry.host}"]`);
    expect(result.exitCode).toBe(69);
    await sandbox.cleanup();
  });

  test("names host and port of a refused connection", async () => {
    const sandbox = await Sandbox.create();

    const result = await sandbox.run(["install", "localhost:9/team/tool:1.0"]);

    expect(result.stderr).toContain('cannot reach registry "localhost:9": connection refused');
    expect(result.exitCode).toBe(69);
    await sandbox.cleanup();
  });
});
