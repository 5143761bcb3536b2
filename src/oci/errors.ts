import { ExitCode, OcxError } from "../error/index.ts";

/**
 * Error codes of the distribution client. Exit categories:
 * - 65 (bad data) when the registry or the reference names content that is
 *   wrong or absent: a digest or size mismatch, an invalid manifest, a tag
 *   that does not exist, no entry for this platform. Retrying cannot help.
 * - 69 (unavailable) when the registry cannot be reached or will not let us
 *   in: refused connections, timeouts, TLS failures, 401/403.
 * - 75 (retryable) for 429 and 5xx responses, which usually pass.
 */
export const OCI_DIGEST_MISMATCH = "OCI_DIGEST_MISMATCH";
export const OCI_BLOB_SIZE_MISMATCH = "OCI_BLOB_SIZE_MISMATCH";
export const OCI_MANIFEST_NOT_FOUND = "OCI_MANIFEST_NOT_FOUND";
export const OCI_BLOB_NOT_FOUND = "OCI_BLOB_NOT_FOUND";
export const OCI_MANIFEST_INVALID = "OCI_MANIFEST_INVALID";
export const OCI_UNAUTHORIZED = "OCI_UNAUTHORIZED";
export const OCI_UNREACHABLE = "OCI_UNREACHABLE";
export const OCI_PLAIN_HTTP_TO_HTTPS = "OCI_PLAIN_HTTP_TO_HTTPS";
export const OCI_TLS_UNTRUSTED = "OCI_TLS_UNTRUSTED";
export const OCI_PLATFORM_NOT_FOUND = "OCI_PLATFORM_NOT_FOUND";
export const OCI_REGISTRY_ERROR = "OCI_REGISTRY_ERROR";

export function digestMismatchError(
  subject: string,
  expected: string,
  actual: string,
): OcxError {
  return new OcxError(
    OCI_DIGEST_MISMATCH,
    `digest mismatch for ${subject}: expected "${expected}", got "${actual}"`,
    {
      hint: "the registry or a proxy served different content; check the mirror, then retry",
      exitCode: ExitCode.dataError,
    },
  );
}

export function blobSizeMismatchError(
  digest: string,
  expected: number,
  actual: string,
): OcxError {
  return new OcxError(
    OCI_BLOB_SIZE_MISMATCH,
    `blob size mismatch for "${digest}": expected ${expected} bytes, got ${actual}`,
    {
      hint: "the registry or a proxy served different content; check the mirror, then retry",
      exitCode: ExitCode.dataError,
    },
  );
}

export function unauthorizedError(registry: string, detail: string): OcxError {
  return new OcxError(
    OCI_UNAUTHORIZED,
    `authentication failed for registry "${registry}": ${detail}`,
    {
      hint: `log in with \`ocx login ${registry}\` (or \`docker login ${registry}\`; both store credentials in ~/.docker/config.json or $DOCKER_CONFIG/config.json)`,
      exitCode: ExitCode.unavailable,
    },
  );
}

export function unreachableError(
  hostPort: string,
  detail: string,
  cause?: unknown,
): OcxError {
  return new OcxError(
    OCI_UNREACHABLE,
    `cannot reach registry "${hostPort}": ${detail}`,
    {
      hint: `check that a registry listens on ${hostPort} and that the network or proxy lets you reach it`,
      exitCode: ExitCode.unavailable,
      cause,
    },
  );
}

/** Builds the error for a plain HTTP request that a TLS server reset. */
export function httpsExpectedError(
  registry: string,
  hostPort: string,
  cause?: unknown,
): OcxError {
  return new OcxError(
    OCI_UNREACHABLE,
    `cannot reach registry "${hostPort}": connection reset, the server may expect HTTPS`,
    {
      hint: `if "${registry}" serves HTTPS, list it in the config: [registries] tls = ["${registry}"] (and remove it from insecure)`,
      exitCode: ExitCode.unavailable,
      cause,
    },
  );
}

export function plainHttpToHttpsError(
  registry: string,
  cause?: unknown,
): OcxError {
  return new OcxError(
    OCI_PLAIN_HTTP_TO_HTTPS,
    `TLS handshake with registry "${registry}" failed: the server seems to speak plain HTTP to an HTTPS request`,
    {
      hint: `if "${registry}" is meant to be plain HTTP, add it to the config: [registries] insecure = ["${registry}"]`,
      exitCode: ExitCode.unavailable,
      cause,
    },
  );
}

export function tlsUntrustedError(
  registry: string,
  code: string,
  options: { caSources?: string[]; cause?: unknown } = {},
): OcxError {
  const trusted = options.caSources ?? [
    "the default CA store (plus SSL_CERT_FILE or NODE_EXTRA_CA_CERTS when set)",
  ];
  return new OcxError(
    OCI_TLS_UNTRUSTED,
    `TLS certificate of registry "${registry}" is not trusted: ${code}; expected a certificate issued by ${trusted.join(", ")}`,
    {
      hint: `if "${registry}" uses a private CA, add its PEM file to a config tier: [registries."${registry}"] ca_file = "/path/to/ca.pem" (or set SSL_CERT_FILE or NODE_EXTRA_CA_CERTS)`,
      exitCode: ExitCode.unavailable,
      cause: options.cause,
    },
  );
}

/** Maps a non-success status that no caller handled to a typed error. */
export function registryStatusError(
  action: string,
  status: number,
  detail: string,
): OcxError {
  const isRetryable = status === 429 || status >= 500;
  return new OcxError(
    OCI_REGISTRY_ERROR,
    `${action} failed: HTTP ${status}${detail ? ` ${detail}` : ""}`,
    {
      hint: isRetryable
        ? "the registry is overloaded or failing; retry later"
        : "check the reference and your access rights to the repository",
      exitCode: isRetryable ? ExitCode.temporaryFailure : ExitCode.unavailable,
    },
  );
}

export function manifestNotFoundError(
  reference: string,
  repository: string,
): OcxError {
  return new OcxError(
    OCI_MANIFEST_NOT_FOUND,
    `manifest not found for "${reference}"`,
    {
      hint: `check the tag; \`skopeo list-tags docker://${repository}\` lists the tags`,
      exitCode: ExitCode.dataError,
    },
  );
}

export function blobNotFoundError(
  digest: string,
  repository: string,
): OcxError {
  return new OcxError(
    OCI_BLOB_NOT_FOUND,
    `blob "${digest}" not found in "${repository}"`,
    {
      hint: "the manifest references a blob the registry does not have; ask the publisher to push it again",
      exitCode: ExitCode.dataError,
    },
  );
}

export function platformNotFoundError(
  platform: string,
  reference: string,
  available: string[],
): OcxError {
  const list = available.length > 0 ? available.join(", ") : "none";
  return new OcxError(
    OCI_PLATFORM_NOT_FOUND,
    `no manifest for platform "${platform}" in "${reference}": available ${list}`,
    {
      hint: "use a package built for this platform, or ask its publisher to add one",
      exitCode: ExitCode.dataError,
    },
  );
}

export function manifestInvalidError(
  subject: string,
  detail: string,
): OcxError {
  return new OcxError(
    OCI_MANIFEST_INVALID,
    `invalid manifest ${subject}: ${detail}`,
    {
      hint: "the registry served something that is not an OCI image manifest or image index; check the reference",
      exitCode: ExitCode.dataError,
    },
  );
}

/**
 * Builds the error for a response no caller handled, with the registry's own
 * error text.
 */
export async function responseError(
  action: string,
  response: Response,
): Promise<OcxError> {
  const text = await response.text().catch(() => "");
  // Go's HTTP server (docker-registry) responds to a plain HTTP request on a
  // TLS port with 400 and this text, so the registry expects HTTPS.
  if (response.status === 400 && /HTTP request to an HTTPS server/i.test(text)) {
    // Every action quotes the reference or registry first; its host is the registry.
    const host = /"([^"/\s]+)/.exec(action)?.[1] ?? (response.url ? new URL(response.url).host : "the registry");
    return new OcxError(OCI_PLAIN_HTTP_TO_HTTPS, `${action} failed: "${host}" serves HTTPS, but ocx spoke plain HTTP to it`, {
      hint: `add "${host}" to tls under [registries] in config.toml (loopback registries default to plain HTTP)`,
      exitCode: ExitCode.unavailable,
    });
  }
  return registryStatusError(action, response.status, summarizeErrorBody(text));
}

/** Pulls `code: message` pairs out of a distribution-spec error body. */
function summarizeErrorBody(text: string): string {
  try {
    const body = JSON.parse(text) as {
      errors?: { code?: string; message?: string }[];
    };
    const parts = (body.errors ?? []).map((error) =>
      [error.code, error.message].filter(Boolean).join(": "),
    );
    if (parts.length > 0) return `(${parts.join("; ")})`;
  } catch {
    // not JSON: fall through to the raw text
  }
  const firstLine = text.split("\n", 1)[0]?.trim() ?? "";
  return firstLine ? `(${firstLine.slice(0, 200)})` : "";
}
