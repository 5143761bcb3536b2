import {
  httpsExpectedError,
  plainHttpToHttpsError,
  tlsUntrustedError,
  unreachableError,
} from "./errors.ts";

const LOOPBACK_HOST = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/i;
const MAX_REDIRECTS = 5;

/** Certificate verification failures as Bun reports them in `error.code`. */
const UNTRUSTED_CERTIFICATE_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/**
 * TLS settings for one registry. `ca` is PEM text and replaces Bun's
 * default roots, so it must hold every CA to trust, the system store
 * included. `caSources` names those CAs for error messages.
 */
export interface RegistryTlsOptions {
  ca?: string | string[];
  caSources?: string[];
}

/**
 * Errors worth repeating: resets, stalls mid-body and a token realm's 5xx.
 * Refusals, header timeouts and TLS failures are not.
 */
const transientErrors = new WeakSet<object>();

/** Reports whether a network error from this module may pass on a retry. */
export function isTransientNetworkError(error: unknown): boolean {
  return typeof error === "object" && error !== null && transientErrors.has(error);
}

/** Marks an error as worth repeating, e.g. a token realm's 503. */
export function transient<T extends object>(error: T): T {
  transientErrors.add(error);
  return error;
}

/**
 * Reports whether `registry` (`host[:port]`) is a loopback address. Loopback
 * registries default to plain HTTP because that is how local test and
 * air-gapped registries usually run.
 */
export function isLoopbackRegistry(registry: string): boolean {
  return LOOPBACK_HOST.test(registry);
}

/** Builds `http[s]://host[:port]`, keeping the port of the reference. */
export function registryOrigin(registry: string, isInsecure: boolean): string {
  return `${isInsecure ? "http" : "https"}://${registry}`;
}

/** Names `host:port` with the default port filled in, for error messages. */
export function hostPortOf(url: URL): string {
  const port = url.port || (url.protocol === "http:" ? "80" : "443");
  return `${url.hostname}:${port}`;
}

export interface SendOptions {
  fetch: typeof fetch;
  /** Bounds connecting and receiving the headers, in ms. */
  timeoutMs: number;
  /**
   * Bounds the wait for each chunk of the body, in ms, so a registry that
   * stops sending mid-body fails instead of hanging. Default: no bound.
   */
  stallTimeoutMs?: number;
  /** Headers for a given URL; called again after a redirect to another origin. */
  headersFor: (url: URL) => Promise<Record<string, string>>;
  /** TLS settings for a given URL, such as a private CA of the registry. */
  tlsFor?: (url: URL) => Promise<RegistryTlsOptions | undefined>;
}

/**
 * Sends one HTTP request and follows redirects by hand, so credentials meant
 * for the registry are never forwarded to another origin (blob downloads
 * often redirect to a storage host). Network failures become typed errors
 * that name `host:port`.
 */
export async function sendRequest(
  url: URL,
  init: Omit<RequestInit, "headers" | "redirect" | "signal">,
  options: SendOptions,
): Promise<Response> {
  let current = url;
  let method = init.method ?? "GET";
  let body = init.body;

  for (let redirects = 0; ; redirects++) {
    const headers = await options.headersFor(current);
    const response = await fetchWithTimeout(
      current,
      { ...init, method, body, headers },
      options,
    );
    const location = response.headers.get("location");
    const isRedirect =
      response.status >= 300 && response.status < 400 && location !== null;
    if (!isRedirect || redirects >= MAX_REDIRECTS) return response;

    await response.body?.cancel();
    current = new URL(location, current);
    // 303 and the legacy 301/302 on POST turn into a GET without a body.
    if (
      response.status === 303 ||
      ((response.status === 301 || response.status === 302) &&
        method === "POST")
    ) {
      method = "GET";
      body = undefined;
    }
  }
}

async function fetchWithTimeout(
  url: URL,
  init: RequestInit,
  options: SendOptions,
): Promise<Response> {
  const tlsOptions =
    url.protocol === "https:" ? await options.tlsFor?.(url) : undefined;
  const tls = tlsOptions?.ca === undefined ? undefined : { ca: tlsOptions.ca };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  let response: Response;
  try {
    response = await options.fetch(url, {
      ...init,
      ...(tls ? { tls } : {}),
      redirect: "manual",
      signal: controller.signal,
    });
  } catch (error) {
    throw toNetworkError(url, error, {
      isTimeout: controller.signal.aborted,
      timeoutMs: options.timeoutMs,
      caSources: tlsOptions?.caSources,
    });
  } finally {
    clearTimeout(timer);
  }
  if (options.stallTimeoutMs === undefined || !canHaveBody(response))
    return response;
  return watchBody(response, url, {
    stallTimeoutMs: options.stallTimeoutMs,
    abort: () => controller.abort(),
  });
}

function canHaveBody(response: Response): boolean {
  return (
    response.body !== null &&
    ![101, 103, 204, 205, 304].includes(response.status)
  );
}

/**
 * Re-wraps the body so each read waits at most `stallTimeoutMs` for the
 * next chunk. A stall or a connection lost mid-body errors the stream
 * with a retryable OCI_UNREACHABLE naming the host.
 */
function watchBody(
  response: Response,
  url: URL,
  options: { stallTimeoutMs: number; abort: () => void },
): Response {
  const reader = response.body!.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stalled = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new StallError()),
          options.stallTimeoutMs,
        );
      });
      try {
        const { done, value } = await Promise.race([reader.read(), stalled]);
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        options.abort();
        reader.cancel().catch(() => {});
        const detail =
          error instanceof StallError
            ? `no data for ${options.stallTimeoutMs} ms while reading the response`
            : `connection lost while reading the response (${describe(error)})`;
        controller.error(
          transient(unreachableError(hostPortOf(url), detail, error)),
        );
      } finally {
        clearTimeout(timer);
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

class StallError extends Error {}

function describe(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === "string") return code;
  return error instanceof Error ? error.message : String(error);
}

function toNetworkError(
  url: URL,
  error: unknown,
  context: { isTimeout: boolean; timeoutMs: number; caSources?: string[] },
): Error {
  const hostPort = hostPortOf(url);
  // Not transient: a host that let a request hang for the whole timeout
  // would make each retry hang as long, so ocx reports it at once.
  if (context.isTimeout)
    return unreachableError(
      hostPort,
      `no response within ${context.timeoutMs} ms`,
      error,
    );

  const code = (error as { code?: unknown })?.code;
  // Bun reports EPROTO when the peer responds to a TLS ClientHello with non-TLS
  // bytes, which is what a plain HTTP server does.
  if (url.protocol === "https:" && code === "EPROTO") {
    return plainHttpToHttpsError(url.host, error);
  }
  if (typeof code === "string" && UNTRUSTED_CERTIFICATE_CODES.has(code)) {
    return tlsUntrustedError(url.host, code, {
      caSources: context.caSources,
      cause: error,
    });
  }
  // A TLS server resets a connection that opens with a plain HTTP request.
  if (url.protocol === "http:" && code === "ECONNRESET") {
    return transient(httpsExpectedError(url.host, hostPort, error));
  }
  if (code === "ECONNRESET" || code === "EPIPE" || code === "ECONNABORTED")
    return transient(unreachableError(hostPort, `connection reset (${code})`, error));
  if (code === "ECONNREFUSED")
    return unreachableError(hostPort, "connection refused", error);
  if (code === "ENOTFOUND")
    return unreachableError(
      hostPort,
      `host "${url.hostname}" not found`,
      error,
    );
  if (typeof code === "string" || error instanceof TypeError) {
    const detail = error instanceof Error ? error.message : String(error);
    return unreachableError(hostPort, detail, error);
  }
  return error instanceof Error ? error : new Error(String(error));
}
