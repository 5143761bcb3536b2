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
  unauthorizedError,
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
  isLoopbackRegistry,
  registryOrigin,
  sendRequest,
  type RegistryTlsOptions,
} from "./transport.ts";
import type {
  Descriptor,
  ImageIndex,
  ImageManifest,
  Platform,
} from "./types.ts";

export { currentPlatform, selectPlatform } from "./platform.ts";
export { sha256Digest } from "./digest.ts";

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
}

export interface FetchedManifest {
  digest: string;
  mediaType: string;
  bytes: Uint8Array;
  manifest: ImageManifest | ImageIndex;
}

/** One HTTP exchange with a repository of a registry. */
export interface RegistryRequest {
  repository: string;
  /** A path such as `/v2/<name>/manifests/<tag>`, or an absolute upload URL. */
  path: string;
  method?: string;
  headers?: Record<string, string>;
  /**
   * A factory, so the body can be sent again after an authentication challenge.
   */
  body?: () => RequestInit["body"];
  /** `pull` (default) or `pull,push`, the actions of the token scope. */
  actions?: string;
}

/** A client for the OCI distribution API: manifests, blobs and pushes. */
export class RegistryClient {
  readonly #isInsecure: (registry: string) => boolean;
  readonly #requestHeaders: (
    host: string,
  ) => Promise<Record<string, string> | undefined>;
  readonly #reporter: Reporter;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #tlsFor: (url: URL) => Promise<RegistryTlsOptions | undefined>;
  readonly #authenticator: Authenticator;

  constructor(options: RegistryClientOptions = {}) {
    this.#isInsecure = options.isInsecure ?? isLoopbackRegistry;
    this.#requestHeaders = options.requestHeaders ?? (async () => undefined);
    this.#reporter = options.reporter ?? silentReporter;
    this.#fetch = options.fetch ?? fetch;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#tlsFor = async (url) => options.tls?.(url.host);
    const reporter = this.#reporter;
    this.#authenticator = new Authenticator({
      credentials:
        options.credentials ??
        ((registry) => readDockerCredentials(registry, { reporter })),
      isInsecure: this.#isInsecure,
      reporter,
      send: {
        fetch: this.#fetch,
        timeoutMs: this.#timeoutMs,
        tlsFor: this.#tlsFor,
      },
      requestHeaders: this.#requestHeaders,
    });
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
  ): Promise<ReadableStream<Uint8Array>> {
    const path = `/v2/${repository}/blobs/${descriptor.digest}`;
    const response = await this.request(registry, { repository, path });
    if (response.status === 404) {
      await response.body?.cancel();
      throw blobNotFoundError(descriptor.digest, `${registry}/${repository}`);
    }
    if (!response.ok)
      throw await responseError(
        `fetching blob "${descriptor.digest}"`,
        response,
      );

    const reference = `${registry}/${repository}@${descriptor.digest}`;
    const { digest, size } = descriptor;
    this.#reporter.emit({ kind: "download-start", reference, digest, size });
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
        });
      },
      onVerified: () => this.#reporter.emit({ kind: "download-end", digest }),
    });
  }

  /**
   * Fetches a whole blob into memory, verified. Meant for small blobs such as
   * configs.
   */
  async fetchBlobBytes(
    registry: string,
    repository: string,
    descriptor: Descriptor,
  ): Promise<Uint8Array> {
    const stream = await this.fetchBlob(registry, repository, descriptor);
    return new Uint8Array(await new Response(stream).arrayBuffer());
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
    });
    if (response.status === 405) {
      log(
        this.#reporter,
        "debug",
        "HEAD not allowed, checking the blob with GET",
        { registry, digest },
      );
      response = await this.request(registry, { repository, path });
    }
    await response.body?.cancel();
    if (response.ok) return true;
    if (response.status === 404) return false;
    throw await responseError(`checking blob "${digest}"`, response);
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
   * Sends one request to `registry`, responding to a 401 challenge once. The
   * `Authorization` value goes only to the registry's own origin.
   */
  async request(registry: string, request: RegistryRequest): Promise<Response> {
    const origin = registryOrigin(registry, this.#isInsecure(registry));
    const url = new URL(request.path, origin);
    const scope = `repository:${request.repository}:${request.actions ?? "pull"}`;

    let response = await this.#send(
      url,
      origin,
      request,
      this.#authenticator.cached(registry, scope),
    );
    if (response.status !== 401) return response;

    const challenge = response.headers.get("www-authenticate");
    await response.body?.cancel();
    const authorization = await this.#authenticator.respondToChallenge(
      registry,
      scope,
      challenge,
    );
    response = await this.#send(url, origin, request, authorization);
    if (response.status === 401) {
      await response.body?.cancel();
      this.#authenticator.forget(registry, scope);
      throw unauthorizedError(
        registry,
        `the registry rejected the credentials for scope "${scope}"`,
      );
    }
    return response;
  }

  async #send(
    url: URL,
    origin: string,
    request: RegistryRequest,
    authorization: string | undefined,
  ) {
    return sendRequest(
      url,
      { method: request.method ?? "GET", body: request.body?.() },
      {
        fetch: this.#fetch,
        timeoutMs: this.#timeoutMs,
        tlsFor: this.#tlsFor,
        headersFor: async (target) => ({
          ...((await this.#requestHeaders(target.host)) ?? {}),
          ...request.headers,
          ...(authorization && target.origin === origin
            ? { authorization }
            : {}),
        }),
      },
    );
  }
}
