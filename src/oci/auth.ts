import * as v from "valibot";
import { log, type Reporter } from "../report/reporter.ts";
import type { Credentials } from "./docker-config.ts";
import { responseError, unauthorizedError } from "./errors.ts";
import { sendRequest, transient, type SendOptions } from "./transport.ts";
import {
  parseWwwAuthenticate,
  type AuthChallenge,
} from "./www-authenticate.ts";

/** The distribution spec's default when a token response has no `expires_in`. */
const DEFAULT_TOKEN_LIFETIME_SECONDS = 60;
/**
 * Tokens count as expired this early, so one does not expire between check
 * and use. The margin is at most half the lifetime, so short-lived tokens
 * are still reused.
 */
const EXPIRY_MARGIN_MS = 5_000;

const TokenResponseSchema = v.object({
  token: v.optional(v.string()),
  access_token: v.optional(v.string()),
  expires_in: v.optional(v.number()),
});

export interface AuthenticatorOptions {
  credentials: (registry: string) => Promise<Credentials | undefined>;
  isInsecure: (registry: string) => boolean;
  reporter: Reporter;
  send: Omit<SendOptions, "headersFor">;
  requestHeaders: (host: string) => Promise<Record<string, string> | undefined>;
  now?: () => number;
}

/**
 * Responds to registry authentication challenges and caches the resulting
 * `Authorization` values per registry and scope. A value is only returned
 * for the registry it was issued for, and the caller attaches it to
 * requests to that registry's origin and nowhere else.
 */
export class Authenticator {
  readonly #options: AuthenticatorOptions;
  readonly #cache = new Map<
    string,
    { authorization: string; expiresAt: number }
  >();

  /** Registries last answered without credentials, for error messages. */
  readonly #anonymous = new Set<string>();

  constructor(options: AuthenticatorOptions) {
    this.#options = options;
  }

  /** Whether the last challenge of `registry` was answered without credentials. */
  wasAnonymous(registry: string): boolean {
    return this.#anonymous.has(registry);
  }

  /**
   * Returns the cached `Authorization` value for `registry` and `scope` while
   * it is valid.
   */
  cached(registry: string, scope: string): string | undefined {
    const entry = this.#cache.get(cacheKey(registry, scope));
    if (!entry) return undefined;
    if (entry.expiresAt > this.#now()) return entry.authorization;
    this.#cache.delete(cacheKey(registry, scope));
    return undefined;
  }

  /**
   * Responds to the `WWW-Authenticate` challenge of a 401 response: exchanges
   * credentials (or nothing, for anonymous pulls) for a bearer token at the
   * realm, or builds a Basic value. Returns the `Authorization` value.
   */
  async respondToChallenge(
    registry: string,
    scope: string,
    header: string | null,
  ): Promise<string> {
    const challenge = pickChallenge(header);
    if (!challenge)
      throw unauthorizedError(
        registry,
        "the registry sent no usable WWW-Authenticate challenge",
      );
    const credentials = await this.#options.credentials(registry);
    if (credentials) this.#anonymous.delete(registry);
    else this.#anonymous.add(registry);

    if (challenge.scheme === "basic") {
      if (!credentials)
        throw unauthorizedError(
          registry,
          "the registry requires a user name and password",
        );
      const authorization = basicAuthorization(credentials);
      this.#cache.set(cacheKey(registry, scope), {
        authorization,
        expiresAt: Number.POSITIVE_INFINITY,
      });
      return authorization;
    }

    const { token, lifetimeSeconds } = await this.#fetchToken(
      registry,
      scope,
      challenge,
      credentials,
    );
    const authorization = `Bearer ${token}`;
    const lifetimeMs = lifetimeSeconds * 1000;
    const expiresAt =
      this.#now() + lifetimeMs - Math.min(EXPIRY_MARGIN_MS, lifetimeMs / 2);
    this.#cache.set(cacheKey(registry, scope), { authorization, expiresAt });
    return authorization;
  }

  /** Drops a cached value the registry rejected. */
  forget(registry: string, scope: string): void {
    this.#cache.delete(cacheKey(registry, scope));
  }

  async #fetchToken(
    registry: string,
    scope: string,
    challenge: AuthChallenge,
    credentials: Credentials | undefined,
  ): Promise<{ token: string; lifetimeSeconds: number }> {
    const realm = parseRealm(registry, challenge.params.realm);
    if (challenge.params.service !== undefined)
      realm.searchParams.set("service", challenge.params.service);
    // The registry checks the scope of its challenge, so that one wins over ours.
    const wantedScope = challenge.params.scope ?? scope;
    if (wantedScope !== "") realm.searchParams.set("scope", wantedScope);

    // Credentials travel to the realm only over TLS, unless the registry
    // itself was configured as plain HTTP.
    const isRealmSecure =
      realm.protocol === "https:" || this.#options.isInsecure(registry);
    const sendsCredentials = credentials !== undefined && isRealmSecure;
    if (credentials && !isRealmSecure) {
      log(
        this.#options.reporter,
        "warn",
        `not sending credentials to plain HTTP token realm "${realm.origin}"`,
        {
          registry,
        },
      );
    }
    const response = await sendRequest(
      realm,
      { method: "GET" },
      {
        ...this.#options.send,
        headersFor: async (url) => ({
          ...((await this.#options.requestHeaders(url.host)) ?? {}),
          ...(sendsCredentials && url.origin === realm.origin
            ? { authorization: basicAuthorization(credentials) }
            : {}),
        }),
      },
    );

    if (response.status === 429 || response.status >= 500) {
      // Transient, so the request that needed the token is retried whole.
      throw transient(
        await responseError(
          `requesting a token for "${registry}" from "${realm.origin}"`,
          response,
        ),
      );
    }
    if (!response.ok) {
      await response.body?.cancel();
      const identity = sendsCredentials
        ? "the configured credentials"
        : "anonymous access";
      throw unauthorizedError(
        registry,
        `token request for scope "${challenge.params.scope ?? scope}" with ${identity} returned HTTP ${response.status}`,
      );
    }
    const parsed = v.safeParse(
      TokenResponseSchema,
      await response.json().catch(() => undefined),
    );
    const token = parsed.success
      ? (parsed.output.token ?? parsed.output.access_token)
      : undefined;
    if (!token)
      throw unauthorizedError(
        registry,
        `token realm "${realm.origin}" returned no token`,
      );
    const lifetimeSeconds = parsed.success
      ? (parsed.output.expires_in ?? DEFAULT_TOKEN_LIFETIME_SECONDS)
      : 0;
    log(
      this.#options.reporter,
      "debug",
      `obtained bearer token for ${registry}`,
      { registry, scope },
    );
    return { token, lifetimeSeconds };
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }
}

function pickChallenge(header: string | null): AuthChallenge | undefined {
  if (header === null) return undefined;
  const parsed = parseWwwAuthenticate(header);
  if (!parsed.ok) return undefined;
  return (
    parsed.value.find(
      (challenge) => challenge.scheme === "bearer" && challenge.params.realm,
    ) ?? parsed.value.find((challenge) => challenge.scheme === "basic")
  );
}

function parseRealm(registry: string, realm: string | undefined): URL {
  try {
    if (realm) return new URL(realm);
  } catch {
    // fall through to the error below
  }
  throw unauthorizedError(
    registry,
    `the bearer challenge has an invalid realm "${realm ?? ""}"`,
  );
}

function basicAuthorization(credentials: Credentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
}

function cacheKey(registry: string, scope: string): string {
  return `${registry} ${scope}`;
}
