import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha256Digest } from "../../src/oci/digest.ts";

/** One request as the fake registry received it. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Headers;
}

export interface FaultRegistry {
  /** `127.0.0.1:PORT`. */
  host: string;
  url: string;
  requests: RecordedRequest[];
  stop(): Promise<void>;
}

export type FaultHandler = (
  request: Request,
  url: URL,
) => Response | Promise<Response>;

/**
 * Starts a tiny HTTP server on a free loopback port that records every
 * request and responds with `handler`. Tests use it for faults a real
 * registry does not produce: odd challenges, missing or wrong digest
 * headers, strict Accept checks, oversized or slow bodies.
 */
export function startFaultRegistry(
  handler: FaultHandler,
  options: { tls?: TestCertificate } = {},
): FaultRegistry {
  const requests: RecordedRequest[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    ...(options.tls ? { tls: options.tls } : {}),
    async fetch(request) {
      const url = new URL(request.url);
      requests.push({
        method: request.method,
        path: url.pathname,
        query: url.searchParams,
        headers: request.headers,
      });
      return handler(request, url);
    },
  });
  const host = `127.0.0.1:${server.port}`;
  return {
    host,
    url: `${options.tls ? "https" : "http"}://${host}`,
    requests,
    stop: async () => server.stop(true),
  };
}

/** A self-signed certificate and its key, both PEM text. */
export interface TestCertificate {
  cert: string;
  key: string;
}

/**
 * Creates a self-signed certificate for `localhost` and 127.0.0.1 with
 * openssl, valid for one day. It is its own CA, so tests trust it by
 * passing `cert` as the CA.
 */
export async function makeTestCertificate(): Promise<TestCertificate> {
  const directory = await mkdtemp(join(tmpdir(), "ocx-cert-"));
  const keyPath = join(directory, "key.pem");
  const certPath = join(directory, "cert.pem");
  const result = Bun.spawnSync([
    "openssl",
    "req",
    "-x509",
    "-nodes",
    "-days",
    "1",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-keyout",
    keyPath,
    "-out",
    certPath,
    "-subj",
    "/CN=localhost",
    "-addext",
    "subjectAltName=DNS:localhost,IP:127.0.0.1",
  ]);
  try {
    if (result.exitCode !== 0) {
      throw new Error(`openssl failed: ${result.stderr.toString()}`);
    }
    const cert = await Bun.file(certPath).text();
    const key = await Bun.file(keyPath).text();
    return { cert, key };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** In-memory manifests and blobs, served the way the distribution API does. */
export class FakeContent {
  readonly manifests = new Map<
    string,
    { bytes: Uint8Array; mediaType: string }
  >();
  readonly blobs = new Map<string, Uint8Array>();

  addBlob(bytes: Uint8Array): { digest: string; size: number } {
    const digest = sha256Digest(bytes);
    this.blobs.set(digest, bytes);
    return { digest, size: bytes.byteLength };
  }

  /**
   * Stores a manifest under its digest and, if given, a tag. Returns the
   * digest.
   */
  addManifest(json: unknown, mediaType: string, tag?: string): string {
    const bytes = new TextEncoder().encode(JSON.stringify(json));
    const digest = sha256Digest(bytes);
    this.manifests.set(digest, { bytes, mediaType });
    if (tag !== undefined) this.manifests.set(tag, { bytes, mediaType });
    return digest;
  }
}

export interface ServeOptions {
  /**
   * Value for Docker-Content-Digest, or null to leave the header out. Default:
   * the real digest.
   */
  digestHeader?: (digest: string) => string | null;
  /**
   * Respond with 404 MANIFEST_UNKNOWN when Accept does not list the stored
   * media type.
   */
  isStrictAccept?: boolean;
  /** Respond to HEAD with 405, as some proxies do. */
  isHeadRejected?: boolean;
}

/**
 * Serves `/v2/<name>/manifests/<ref>` and `/v2/<name>/blobs/<digest>` from
 * `content`.
 */
export function serveContent(
  content: FakeContent,
  request: Request,
  url: URL,
  options: ServeOptions = {},
): Response {
  if (options.isHeadRejected && request.method === "HEAD")
    return new Response(null, { status: 405 });
  const manifestMatch = /^\/v2\/.+\/manifests\/([^/]+)$/.exec(url.pathname);
  if (manifestMatch) {
    const entry = content.manifests.get(manifestMatch[1] ?? "");
    if (!entry)
      return distributionError(404, "MANIFEST_UNKNOWN", "manifest unknown");
    const accept = request.headers.get("accept") ?? "";
    if (
      options.isStrictAccept &&
      !accept.split(",").some((type) => type.trim() === entry.mediaType)
    ) {
      return distributionError(
        404,
        "MANIFEST_UNKNOWN",
        "accept header does not support this manifest type",
      );
    }
    const headers = new Headers({ "content-type": entry.mediaType });
    const digest = sha256Digest(entry.bytes);
    const header = options.digestHeader ? options.digestHeader(digest) : digest;
    if (header !== null) headers.set("docker-content-digest", header);
    return new Response(request.method === "HEAD" ? null : entry.bytes, {
      headers,
    });
  }

  const blobMatch = /^\/v2\/.+\/blobs\/([^/]+)$/.exec(url.pathname);
  const blob = blobMatch ? content.blobs.get(blobMatch[1] ?? "") : undefined;
  if (!blob) return distributionError(404, "BLOB_UNKNOWN", "blob unknown");
  return new Response(request.method === "HEAD" ? null : blob, {
    headers: {
      "content-type": "application/octet-stream",
      "content-length": String(blob.byteLength),
    },
  });
}

export function distributionError(
  status: number,
  code: string,
  message: string,
): Response {
  return Response.json({ errors: [{ code, message }] }, { status });
}

export interface CountingBody {
  body: ReadableStream<Uint8Array>;
  /** Byte count handed to the server so far, socket buffers included. */
  sent: () => number;
  /** Settles when the server cancels the body because the client went away. */
  cancelled: Promise<void>;
}

/**
 * Creates a body that yields `chunkSize`-byte chunks of zeros up to `total` bytes,
 * counting what the server pulled, so a test can show the client stopped
 * reading early.
 */
export function countingBody(total: number, chunkSize: number): CountingBody {
  let sent = 0;
  const { promise: cancelled, resolve } = Promise.withResolvers<void>();
  const body = new ReadableStream<Uint8Array>({
    cancel() {
      resolve();
    },
    pull(controller) {
      if (sent >= total) {
        controller.close();
        return;
      }
      const size = Math.min(chunkSize, total - sent);
      sent += size;
      controller.enqueue(new Uint8Array(size));
    },
  });
  return { body, sent: () => sent, cancelled };
}
