import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { startRegistry, type TestRegistry } from "../helpers/registry.ts";
import { startFaultRegistry, type FaultRegistry } from "../helpers/fault-registry.ts";
import { startResettingProxy, type ResettingProxy } from "../helpers/tcp-faults.ts";
import { Sandbox, toolPackage } from "./harness.ts";

/** A fault a test sets for blob or manifest requests passing the proxy. */
type Fault = (request: Request, url: URL, upstream: () => Promise<Response>) => Response | Promise<Response>;

let registry: TestRegistry;
let publisher: Sandbox;
let fault: Fault | undefined;
const stops: (FaultRegistry | ResettingProxy)[] = [];

const FAST = "[network]\nretry_delay_ms = 1\nstall_timeout_ms = 300\n";

/** Forwards to the real registry unless `fault` returns a response itself. */
function startProxy(): FaultRegistry {
  const proxy = startFaultRegistry((request, url) => {
    const upstream = () =>
      fetch(`${registry.url}${url.pathname}${url.search}`, {
        method: request.method,
        headers: { accept: request.headers.get("accept") ?? "*/*" },
      });
    return fault ? fault(request, url, upstream) : upstream();
  });
  stops.push(proxy);
  return proxy;
}

function isBlob(url: URL): boolean {
  return /\/blobs\/sha256:/.test(url.pathname);
}

/** Fails the first `count` matching requests with `response`, then forwards. */
function failFirst(count: number, matches: (url: URL) => boolean, response: () => Response | Promise<Response>): Fault {
  let failures = 0;
  return (_request, url, upstream) => {
    if (matches(url) && failures < count) {
      failures++;
      return response();
    }
    return upstream();
  };
}

async function freshSandbox(config = FAST): Promise<Sandbox> {
  const sandbox = await Sandbox.create();
  await sandbox.writeUserConfig(config);
  return sandbox;
}

beforeAll(async () => {
  registry = await startRegistry();
  publisher = await Sandbox.create();
  const big = { content: "x".repeat(256 * 1024), mode: 0o644 };
  for (const name of ["one", "two", "three"]) {
    await publisher.publish(
      `${registry.host}/team/${name}:1.0`,
      toolPackage(name, name, { files: { "share/data.txt": big } }),
    );
  }
});

afterEach(async () => {
  fault = undefined;
  await Promise.all(stops.splice(0).map((server) => server.stop()));
});

afterAll(async () => {
  await publisher?.cleanup();
  await registry?.stop();
});

describe("ocx install through a faulty network", () => {
  test("retries 500 and 503 answers", async () => {
    const proxy = startProxy();
    fault = failFirst(3, () => true, () => new Response("boom", { status: 503 }));
    const sandbox = await freshSandbox();

    const result = await sandbox.run(["install", `${proxy.host}/team/one:1.0`]);

    expect(result.stderr).toContain("answered HTTP 503");
    expect(result.exitCode).toBe(0);
    await sandbox.cleanup();
  });

  test("waits for Retry-After on 429", async () => {
    const proxy = startProxy();
    fault = failFirst(1, isBlob, () => new Response("slow down", { status: 429, headers: { "retry-after": "1" } }));
    const sandbox = await freshSandbox();

    const started = performance.now();
    const result = await sandbox.run(["install", `${proxy.host}/team/one:1.0`]);

    expect(result.stderr).toMatch(/HTTP 429.*retrying in 1000 ms/);
    expect(result.exitCode).toBe(0);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1000);
    await sandbox.cleanup();
  });

  test("recovers from connection resets", async () => {
    const proxy = startProxy();
    const resetting = await startResettingProxy(proxy.host, { resets: 2 });
    stops.push(resetting);
    const sandbox = await freshSandbox();

    const result = await sandbox.run(["install", `${resetting.host}/team/one:1.0`]);

    expect(result.stderr).toContain("connection reset");
    expect(result.exitCode).toBe(0);
    await sandbox.cleanup();
  });

  test("retries a truncated blob once", async () => {
    const proxy = startProxy();
    fault = failFirst(1, isBlob, () => new Response("truncated"));
    const sandbox = await freshSandbox();

    const result = await sandbox.run(["install", `${proxy.host}/team/one:1.0`]);

    expect(result.stderr).toContain("trying once more");
    expect(result.exitCode).toBe(0);
    await sandbox.cleanup();
  });

  test("names registry, repository and a next step for a wrong digest", async () => {
    const proxy = startProxy();
    fault = async (request, url, upstream) => {
      const response = await upstream();
      if (!isBlob(url) || request.method !== "GET") return response;
      const bytes = new Uint8Array(await response.arrayBuffer());
      bytes[bytes.length - 1]! ^= 1;
      return new Response(bytes);
    };
    const sandbox = await freshSandbox();

    const result = await sandbox.run(["install", `${proxy.host}/team/one:1.0`]);

    expect(result.stderr).toContain("error[OCI_DIGEST_MISMATCH]");
    expect(result.stderr).toContain(`from "${proxy.host}/team/one" failed after 2 attempts`);
    expect(result.stderr).toContain("hint: the registry or a proxy in between serves content");
    expect(result.exitCode).toBe(65);
    const objects = await Array.fromAsync(new Bun.Glob("objects/sha256/*").scan({ cwd: sandbox.home, onlyFiles: false }));
    expect(objects).toEqual([]);
    await sandbox.cleanup();
  });

  test("times out a stalled blob and names the registry", async () => {
    const proxy = startProxy();
    fault = (request, url, upstream) => {
      if (!isBlob(url) || request.method !== "GET") return upstream();
      return new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(new Uint8Array(10));
          },
        }),
      );
    };
    const sandbox = await freshSandbox();

    const result = await sandbox.run(["install", `${proxy.host}/team/one:1.0`]);

    expect(result.stderr).toContain("no data for 300 ms");
    expect(result.stderr).toContain(`"${proxy.host}/team/one"`);
    expect(result.stderr).toContain("stall_timeout_ms");
    expect(result.exitCode).toBe(69);
    await sandbox.cleanup();
  });

  test("drops Authorization on a cross-host blob redirect", async () => {
    const storage = startFaultRegistry((request, url) =>
      fetch(`${registry.url}${url.pathname}`, { method: request.method }),
    );
    stops.push(storage);
    const proxy = startProxy();
    const basic = `Basic ${btoa("alice:redirect-secret")}`;
    fault = (request, url, upstream) => {
      if (request.headers.get("authorization") !== basic) {
        return new Response(null, { status: 401, headers: { "www-authenticate": 'Basic realm="proxy"' } });
      }
      if (isBlob(url)) return new Response(null, { status: 307, headers: { location: `${storage.url}${url.pathname}` } });
      return upstream();
    };
    const sandbox = await freshSandbox();
    await Bun.write(
      `${sandbox.root}/docker/config.json`,
      JSON.stringify({ auths: { [proxy.host]: { auth: btoa("alice:redirect-secret") } } }),
    );

    const result = await sandbox.run(["install", `${proxy.host}/team/one:1.0`]);

    expect(result.stderr).not.toMatch(/warn|error/);
    expect(result.exitCode).toBe(0);
    expect(storage.requests.length).toBeGreaterThan(0);
    expect(storage.requests.map((request) => request.headers.get("authorization"))).toEqual(
      storage.requests.map(() => null),
    );
    await sandbox.cleanup();
  });

  test("downloads packages in parallel", async () => {
    const proxy = startProxy();
    let inFlight = 0;
    let peak = 0;
    fault = async (request, url, upstream) => {
      if (!isBlob(url) || request.method !== "GET") return upstream();
      inFlight++;
      peak = Math.max(peak, inFlight);
      await Bun.sleep(150);
      inFlight--;
      return upstream();
    };
    const sandbox = await freshSandbox();

    await sandbox.ok(["install", ...["one", "two", "three"].map((name) => `${proxy.host}/team/${name}:1.0`)]);

    expect(peak).toBeGreaterThanOrEqual(3);
    await sandbox.cleanup();
  });
});

describe("ocx install of one digest under two tags", () => {
  test("downloads the layer once", async () => {
    const spec = toolPackage("same", "same", { files: { "share/data.txt": { content: "y".repeat(100_000), mode: 0o644 } } });
    await publisher.publish(`${registry.host}/team/same:1.0`, spec);
    await publisher.publish(`${registry.host}/team/same:latest`, spec);
    const proxy = startProxy();
    const sandbox = await freshSandbox();

    const stdout = await sandbox.ok(["install", `${proxy.host}/team/same:1.0`, `${proxy.host}/team/same:latest`]);

    const blobGets = proxy.requests.filter((request) => request.method === "GET" && isBlob(new URL(`http://x${request.path}`)));
    const counts = new Map<string, number>();
    for (const request of blobGets) counts.set(request.path, (counts.get(request.path) ?? 0) + 1);
    // Planning reads the small config blob once per tag; the layer comes once.
    expect([...counts.values()].sort()).toEqual([1, 2]);
    expect(stdout.split("\n").filter((line) => line.includes(" in ")).length).toBe(1);
    await sandbox.cleanup();
  });
});

describe("ocx install progress", () => {
  test("prints nothing off a terminal by default", async () => {
    const sandbox = await freshSandbox();

    const result = await sandbox.run(["install", `${registry.host}/team/one:1.0`]);

    expect(result.stderr).not.toContain("downloading");
    expect(result.exitCode).toBe(0);
    await sandbox.cleanup();
  });

  test("prints per-package lines with --progress", async () => {
    const sandbox = await freshSandbox();
    const reference = `${registry.host}/team/two:1.0`;

    const result = await sandbox.run(["install", "--progress", reference]);

    expect(result.stderr).toContain(`downloading ${reference} (`);
    expect(result.stderr).toMatch(new RegExp(`downloaded ${reference}: [0-9.]+ (B|KiB|MiB) in [0-9.]+ s \\([0-9.]+ [KMG]?i?B/s\\)`));
    expect(result.exitCode).toBe(0);
    await sandbox.cleanup();
  });

  test("prints nothing with --quiet --progress", async () => {
    const sandbox = await freshSandbox();

    const result = await sandbox.run(["install", "--quiet", "--progress", `${registry.host}/team/three:1.0`]);

    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    await sandbox.cleanup();
  });
});

describe("ocx install with [mirrors]", () => {
  test("pulls from a mirror and leaves the origin alone", async () => {
    const origin = startProxy();
    fault = () => new Response("origin down", { status: 503 });
    const sandbox = await freshSandbox(`${FAST}[mirrors]\n"${origin.host}" = ["${registry.host}"]\n`);

    const result = await sandbox.run(["install", `${origin.host}/team/two:1.0`]);

    expect(result.stderr).not.toMatch(/warn|error/);
    expect(result.exitCode).toBe(0);
    expect(origin.requests).toHaveLength(0);
    await sandbox.cleanup();
  });

  test("falls back to the origin when the mirror lacks the package", async () => {
    const empty = startFaultRegistry(() => new Response("not here", { status: 404 }));
    stops.push(empty);
    const origin = startProxy();
    const sandbox = await freshSandbox(`${FAST}[mirrors]\n"${origin.host}" = ["${empty.host}"]\n`);

    const result = await sandbox.run(["install", `${origin.host}/team/two:1.0`]);

    expect(result.exitCode).toBe(0);
    expect(empty.requests.length).toBeGreaterThan(0);
    expect(origin.requests.length).toBeGreaterThan(0);
    await sandbox.cleanup();
  });
});
