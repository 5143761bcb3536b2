import { log, silentReporter, type Reporter } from "../report/reporter.ts";
import { Authenticator } from "./auth.ts";
import { readDockerCredentials, type Credentials } from "./docker-config.ts";
import { verifyBlobStream } from "./digest.ts";
import {
  blobNotFoundError,
  manifestInvalidError,
  manifestNotFoundError,
  platformNotFoundError,
  responseError,
} from "./errors.ts";
import { manifestAcceptTypes } from "./media-types.ts";
import {
  parseManifest,
  readManifestBody,
  verifyManifestDigest,
} from "./manifest.ts";
import { formatPlatform, listPlatforms, selectPlatform } from "./platform.ts";
import { pushBlob, pushManifest, type BlobSource } from "./push.ts";
import { formatReference, type Reference } from "./reference.ts";
import {
  downloadBlob,
  withBodyRetry,
  type DownloadResult,
} from "./download.ts";
import { Limiter } from "./limiter.ts";
import type { RegistryMirror } from "./mirrors.ts";
import {
  sendRegistryRequest,
  type RegistryRequest,
  type RequestContext,
} from "./request.ts";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry.ts";
import { isLoopbackRegistry, type RegistryTlsOptions } from "./transport.ts";
import type {
  Descriptor,
  ImageIndex,
  ImageManifest,
  Platform,
} from "./types.ts";

export { currentPlatform, selectPlatform } from "./platform.ts";
export { sha256Digest } from "./digest.ts";
export type { RegistryRequest } from "./request.ts";
export type { DownloadResult } from "./download.ts";

export interface RegistryClientOptions {
  /**
   * Whether `registry` (`host[:port]`) is reached over plain HTTP. Default:
   * loopback hosts (localhost, 127.x.x.x, [::1], any port) are plain HTTP and
   * everything else HTTPS. The config supplies its own list.
   */
  isInsecure?: (registry: string) => boolean;
  /** Default: the docker config (`$DOCKER_CONFIG` or ~/.docker/config.json). */
  credentials?: (registry: string) => Promise<Credentials | undefined>;
  /**
   * TLS settings per host (`host[:port]`), such as a private CA. They apply
   * to every HTTPS request to that host, the token realm included.
   */
  tls?: (registry: string) => Promise<RegistryTlsOptions | undefined>;
  /** Extra headers per host (`host[:port]`), e.g. from plugins. */
  requestHeaders?: (
    host: string,
  ) => Promise<Record<string, string> | undefined>;
  reporter?: Reporter;
  fetch?: typeof fetch;
  /**
   * Per request bound on connecting and receiving headers, in ms. Default
   * 30000.
   */
  timeoutMs?: number;
  /** Longest wait for the next chunk of a body, in ms. Default 30000. */
  stallTimeoutMs?: number;
  /** Retries on 429, 5xx and resets. Default: 3 retries from 500 ms. */
  retry?: Partial<RetryPolicy>;
  /** Mirrors tried, in order, before `registry` for pulls. */
  mirrors?: (registry: string) => RegistryMirror[];
  /** Blob downloads running at once across the client. Default 4. */
  parallelDownloads?: number;
  /** Waits between retries; tests pass a recorder. */
  sleep?: (ms: number) => Promise<void>;
}

export interface FetchedManifest {
  digest: string;
  mediaType: string;
  bytes: Uint8Array;
  manifest: ImageManifest | ImageIndex;
}

/** A client for the OCI distribution API: manifests, blobs and pushes. */
export class RegistryClient {
  readonly #reporter: Reporter;
  readonly #context: RequestContext;
  readonly #downloads: Limiter;

  constructor(options: RegistryClientOptions = {}) {
    const reporter = options.reporter ?? silentReporter;
    const isInsecure = options.isInsecure ?? isLoopbackRegistry;
    const requestHeaders =
      options.requestHeaders ?? (async () => undefined);
    const send = {
      fetch: options.fetch ?? fetch,
      timeoutMs: options.timeoutMs ?? 30_000,
      stallTimeoutMs: options.stallTimeoutMs ?? 30_000,
      tlsFor: async (url: URL) => options.tls?.(url.host),
    };
    const authenticator = new Authenticator({
      credentials:
        options.credentials ??
        ((registry) => readDockerCredentials(registry, { reporter })),
      isInsecure,
      reporter,
      send,
      requestHeaders,
    });
    this.#reporter = reporter;
    this.#downloads = new Limiter(options.parallelDownloads ?? 4);
    this.#context = {
      ...send,
      isInsecure,
      requestHeaders,
      reporter,
      authenticator,
      retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
      mirrors: options.mirrors ?? (() => []),
      sleep: options.sleep ?? ((ms) => Bun.sleep(ms)),
    };
  }

  /**
   * Fetches a manifest or image index by digest if the reference has one, else
   * by tag.
   */
  async getManifest(reference: Reference): Promise<FetchedManifest> {
    const { registry, repository } = reference;
    const target = reference.digest ?? reference.tag ?? "latest";
    const text = formatReference(reference);
    const response = await this.request(registry, {
      repository,
      path: `/v2/${repository}/manifests/${target}`,
      headers: { accept: manifestAcceptTypes.join(", ") },
    });
    if (response.status === 404) {
      await response.body?.cancel();
      throw manifestNotFoundError(text, `${registry}/${repository}`);
    }
    if (!response.ok)
      throw await responseError(`fetching manifest "${text}"`, response);

    const bytes = await readManifestBody(response, `manifest "${text}"`);
    const digest = verifyManifestDigest(
      bytes,
      reference,
      response.headers.get("docker-content-digest"),
    );
    const parsed = parseManifest(bytes, response.headers.get("content-type"));
    if (!parsed.ok) throw manifestInvalidError(`"${text}"`, parsed.reason);
    return {
      digest,
      mediaType: parsed.value.mediaType,
      bytes,
      manifest: parsed.value.manifest,
    };
  }

  /**
   * Follows an image index to the entry for `platform`. Returns the platform
   * manifest, and the index digest when there was an index.
   */
  async resolveManifest(
    reference: Reference,
    platform: Platform,
  ): Promise<
    FetchedManifest & { manifest: ImageManifest; indexDigest?: string }
  > {
    const fetched = await this.getManifest(reference);
    const text = formatReference(reference);
    if (!("manifests" in fetched.manifest))
      return { ...fetched, manifest: fetched.manifest };

    const index = fetched.manifest;
    const entry = selectPlatform(index, platform);
    if (!entry) {
      throw platformNotFoundError(
        formatPlatform(platform),
        text,
        listPlatforms(index),
      );
    }

    const child = await this.getManifest({
      ...reference,
      tag: undefined,
      digest: entry.digest,
    });
    if ("manifests" in child.manifest) {
      throw manifestInvalidError(
        `"${entry.digest}"`,
        "an image index entry points to another image index",
      );
    }
    if (child.bytes.byteLength !== entry.size) {
      throw manifestInvalidError(
        `"${entry.digest}"`,
        `size mismatch: the index entry has size ${entry.size}, the registry returned ${child.bytes.byteLength} bytes`,
      );
    }
    return { ...child, manifest: child.manifest, indexDigest: fetched.digest };
  }

  /**
   * Streams a blob, verifying size and digest while the caller reads. The
   * stream errors with OCI_BLOB_SIZE_MISMATCH as soon as more than
   * `descriptor.size` bytes arrive (the body is cancelled then), and with
   * OCI_DIGEST_MISMATCH or OCI_BLOB_SIZE_MISMATCH at the end.
   */
  async fetchBlob(
    registry: string,
    repository: string,
    descriptor: Descriptor,
    options: { package?: string } = {},
  ): Promise<ReadableStream<Uint8Array>> {
    const path = `/v2/${repository}/blobs/${descriptor.digest}`;
    const response = await this.request(registry, { repository, path });
    if (response.status === 404) {
      await response.body?.cancel();
      throw blobNotFoundError(descriptor.digest, `${registry}/${repository}`);
    }
    if (!response.ok)
      throw await responseError(
        `fetching blob "${descriptor.digest}" from "${registry}/${repository}"`,
        response,
      );

    const reference = `${registry}/${repository}@${descriptor.digest}`;
    const { digest, size } = descriptor;
    const label = options.package === undefined ? {} : { package: options.package };
    this.#reporter.emit({
      kind: "download-start",
      reference,
      digest,
      size,
      ...label,
    });
    const body =
      response.body ??
      new ReadableStream<Uint8Array>({
        start: (controller) => controller.close(),
      });
    return verifyBlobStream(body, descriptor, {
      onProgress: (received) => {
        this.#reporter.emit({
          kind: "download-progress",
          digest,
          received,
          size,
          ...label,
        });
      },
      onVerified: () =>
        this.#reporter.emit({ kind: "download-end", digest, ...label }),
    });
  }

  /**
   * Fetches a whole blob into memory, verified, fetching it once more when
   * the body breaks off or does not verify. Meant for small blobs such as
   * configs.
   */
  async fetchBlobBytes(
    registry: string,
    repository: string,
    descriptor: Descriptor,
  ): Promise<Uint8Array> {
    let bytes = new Uint8Array();
    const request = { registry, repository, descriptor, reporter: this.#reporter };
    await withBodyRetry(request, async () => {
      const stream = await this.fetchBlob(registry, repository, descriptor);
      bytes = new Uint8Array(await new Response(stream).arrayBuffer());
    });
    return bytes;
  }

  /**
   * Checks for a blob with HEAD, falling back to GET when HEAD is not allowed
   * (405).
   */
  async blobExists(
    registry: string,
    repository: string,
    digest: string,
  ): Promise<boolean> {
    const path = `/v2/${repository}/blobs/${digest}`;
    let response = await this.request(registry, {
      repository,
      path,
      method: "HEAD",
      skipsMirrors: true,
    });
    if (response.status === 405) {
      log(
        this.#reporter,
        "debug",
        "HEAD not allowed, checking the blob with GET",
        { registry, digest },
      );
      response = await this.request(registry, {
        repository,
        path,
        skipsMirrors: true,
      });
    }
    await response.body?.cancel();
    if (response.ok) return true;
    if (response.status === 404) return false;
    throw await responseError(
      `checking blob "${digest}" in "${registry}/${repository}"`,
      response,
    );
  }

  /**
   * Uploads a blob unless the registry has it already. A file source is
   * streamed from disk.
   */
  async pushBlob(
    registry: string,
    repository: string,
    data: BlobSource,
    mediaType: string,
  ): Promise<Descriptor> {
    return pushBlob(this, { registry, repository, data, mediaType });
  }

  /**
   * Uploads a manifest at `reference.tag` (or its digest) and returns the
   * digest.
   */
  async pushManifest(
    reference: Reference,
    bytes: Uint8Array,
    mediaType: string,
  ): Promise<string> {
    return pushManifest(this, { reference, bytes, mediaType });
  }

  /**
   * Downloads a blob to `path`, verified, through the client's bound on
   * parallel downloads. A body that breaks off, stalls or fails
   * verification is fetched once more before the error is thrown.
   */
  async downloadBlob(
    registry: string,
    repository: string,
    descriptor: Descriptor,
    options: { path: string; package?: string },
  ): Promise<DownloadResult> {
    return this.#downloads.run(() =>
      downloadBlob(this, {
        registry,
        repository,
        descriptor,
        reporter: this.#reporter,
        ...options,
      }),
    );
  }

  /**
   * Checks that the registry accepts the client's credentials at its base
   * endpoint `/v2/`, as `docker login` does. Throws OCI_UNAUTHORIZED when
   * it does not.
   */
  async checkLogin(registry: string): Promise<void> {
    const response = await this.request(registry, {
      repository: "",
      path: "/v2/",
    });
    if (!response.ok)
      throw await responseError(`checking the login at "${registry}"`, response);
    await response.body?.cancel();
  }

  /**
   * Sends one request to `registry` (or its mirrors, for pulls), answering
   * a 401 challenge once and retrying transient failures.
   */
  async request(registry: string, request: RegistryRequest): Promise<Response> {
    return sendRegistryRequest(this.#context, registry, request);
  }
}
