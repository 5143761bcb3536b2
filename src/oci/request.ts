import { OcxError, isOcxError } from "../error/index.ts";
import { log, type Reporter } from "../report/reporter.ts";
import type { Authenticator } from "./auth.ts";
import { unauthorizedError } from "./errors.ts";
import {
  mirrorRepository,
  mirrorRequestKind,
  type RegistryMirror,
} from "./mirrors.ts";
import {
  isRetryableStatus,
  parseRetryAfter,
  retryDelay,
  type RetryPolicy,
} from "./retry.ts";
import {
  isTransientNetworkError,
  registryOrigin,
  sendRequest,
  type RegistryTlsOptions,
} from "./transport.ts";

/** One HTTP exchange with a repository of a registry. */
export interface RegistryRequest {
  repository: string;
  /** A path such as `/v2/<name>/manifests/<tag>`, or an absolute upload URL. */
  path: string;
  method?: string;
  headers?: Record<string, string>;
  /**
   * A factory, so the body can be sent again after an authentication
   * challenge or a retry.
   */
  body?: () => RequestInit["body"];
  /** `pull` (default) or `pull,push`, the actions of the token scope. */
  actions?: string;
  /**
   * Sends the request to the registry itself even if it is a pull. Set for
   * checks before an upload, because a mirror's copy tells nothing about
   * the registry's.
   */
  skipsMirrors?: boolean;
}

/** Settings and collaborators for sending registry requests; one per client. */
export interface RequestContext {
  isInsecure: (registry: string) => boolean;
  requestHeaders: (
    host: string,
  ) => Promise<Record<string, string> | undefined>;
  reporter: Reporter;
  fetch: typeof fetch;
  timeoutMs: number;
  stallTimeoutMs: number | undefined;
  tlsFor: (url: URL) => Promise<RegistryTlsOptions | undefined>;
  authenticator: Authenticator;
  retry: RetryPolicy;
  mirrors: (registry: string) => RegistryMirror[];
  sleep: (ms: number) => Promise<void>;
}

/**
 * Sends a request to the mirrors of `registry` that serve its kind, in
 * order, then to the registry itself. A mirror gets one attempt: any
 * failure or non-success status moves on to the next source, so a broken
 * mirror costs one round trip, not a retry budget.
 */
export async function sendRegistryRequest(
  context: RequestContext,
  registry: string,
  request: RegistryRequest,
): Promise<Response> {
  const method = request.method ?? "GET";
  const kind = request.skipsMirrors
    ? undefined
    : mirrorRequestKind(method, request.path, request.repository);
  const mirrors = kind
    ? context.mirrors(registry).filter((mirror) => mirror.serves.includes(kind))
    : [];
  for (const mirror of mirrors) {
    const repository = mirrorRepository(mirror, request.repository);
    const path = request.path.replace(
      `/v2/${request.repository}/`,
      `/v2/${repository}/`,
    );
    const ids = { registry, mirror: mirror.registry, repository };
    try {
      const response = await sendWithRetries(
        { ...context, retry: { ...context.retry, retries: 0 } },
        mirror.registry,
        { ...request, repository, path },
      );
      if (response.ok) {
        log(context.reporter, "debug", `pulled ${path} from mirror "${mirror.registry}"`, ids);
        return response;
      }
      await response.body?.cancel();
      log(context.reporter, "info", `mirror "${mirror.registry}" answered HTTP ${response.status} for "${repository}"; trying the next source`, ids);
    } catch (error) {
      if (!isOcxError(error)) throw error;
      log(context.reporter, "warn", `mirror "${mirror.registry}" failed: ${error.message}; trying the next source`, ids);
    }
  }
  return sendWithRetries(context, registry, request);
}

/**
 * A connection that broke only after this long was hanging, not blipping:
 * servers and proxies close idle connections after a few seconds (Bun.serve
 * after 10), and retrying would multiply the hang, so it is not repeated.
 */
const SLOW_FAILURE_MS = 5_000;

/**
 * Repeats a request on 429, retryable 5xx statuses and transient network
 * errors, waiting with exponential backoff or for the `Retry-After` delay. The
 * last failure is returned (a response) or thrown (an error naming the
 * registry, the repository and the attempts).
 */
async function sendWithRetries(
  context: RequestContext,
  registry: string,
  request: RegistryRequest,
): Promise<Response> {
  const { retry, reporter } = context;
  const ids = { registry, repository: request.repository };
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    const started = performance.now();
    try {
      response = await sendAuthenticated(context, registry, request);
    } catch (error) {
      if (!isTransientNetworkError(error)) throw error;
      const isSlow = performance.now() - started >= SLOW_FAILURE_MS;
      if (attempt > retry.retries || isSlow)
        throw withAttempts(error as OcxError, request.repository, attempt);
      const wait = retryDelay(retry, attempt);
      log(reporter, "warn", `${(error as Error).message}; retrying in ${Math.round(wait)} ms (attempt ${attempt + 1} of ${retry.retries + 1})`, ids);
      await context.sleep(wait);
      continue;
    }
    if (!isRetryableStatus(response.status) || attempt > retry.retries)
      return response;

    const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
    if (retryAfter !== undefined && retryAfter > retry.maxDelayMs) return response;
    await response.body?.cancel();
    const wait = retryDelay(retry, attempt, retryAfter);
    log(reporter, "warn", `registry "${registry}" answered HTTP ${response.status} for "${request.repository}"; retrying in ${Math.round(wait)} ms (attempt ${attempt + 1} of ${retry.retries + 1})`, ids);
    await context.sleep(wait);
  }
}

function withAttempts(
  error: OcxError,
  repository: string,
  attempts: number,
): OcxError {
  const tries = attempts === 1 ? "1 attempt" : `${attempts} attempts`;
  return new OcxError(
    error.code,
    `${error.message} (repository "${repository}", ${tries})`,
    {
      hint: `${error.hint ?? "retry later"}; raise [network] retries or stall_timeout_ms in the config, or add a mirror under [mirrors]`,
      exitCode: error.exitCode,
      cause: error,
    },
  );
}

/**
 * Sends one request, responding to a 401 challenge once. The
 * `Authorization` value goes only to the registry's own origin, never to
 * the host of a redirect.
 */
async function sendAuthenticated(
  context: RequestContext,
  registry: string,
  request: RegistryRequest,
): Promise<Response> {
  const origin = registryOrigin(registry, context.isInsecure(registry));
  const url = new URL(request.path, origin);
  // The base endpoint `/v2/` (login) belongs to no repository: no scope.
  const scope =
    request.repository === ""
      ? ""
      : `repository:${request.repository}:${request.actions ?? "pull"}`;
  const { authenticator } = context;

  let response = await sendOnce(context, url, request, {
    origin,
    authorization: authenticator.cached(registry, scope),
  });
  if (response.status !== 401) return response;

  const challenge = response.headers.get("www-authenticate");
  await response.body?.cancel();
  const authorization = await authenticator.respondToChallenge(
    registry,
    scope,
    challenge,
  );
  response = await sendOnce(context, url, request, { origin, authorization });
  if (response.status === 401) {
    await response.body?.cancel();
    authenticator.forget(registry, scope);
    const identity = authenticator.wasAnonymous(registry)
      ? "anonymous access"
      : "the credentials";
    throw unauthorizedError(
      registry,
      scope === ""
        ? `the registry rejected ${identity}`
        : `the registry rejected ${identity} for scope "${scope}"`,
    );
  }
  return response;
}

async function sendOnce(
  context: RequestContext,
  url: URL,
  request: RegistryRequest,
  auth: { origin: string; authorization: string | undefined },
): Promise<Response> {
  return sendRequest(
    url,
    { method: request.method ?? "GET", body: request.body?.() },
    {
      fetch: context.fetch,
      timeoutMs: context.timeoutMs,
      ...(context.stallTimeoutMs === undefined
        ? {}
        : { stallTimeoutMs: context.stallTimeoutMs }),
      tlsFor: context.tlsFor,
      headersFor: async (target) => ({
        ...((await context.requestHeaders(target.host)) ?? {}),
        ...request.headers,
        ...(auth.authorization && target.origin === auth.origin
          ? { authorization: auth.authorization }
          : {}),
      }),
    },
  );
}
