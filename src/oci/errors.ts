import { ExitCode, OcxError } from "../error/index.ts";

/**
 * Error codes of the distribution client. Exit categories:
 * - 65 (bad data) when the registry or the reference names content that is
 *   wrong or absent: a digest or size mismatch, an invalid manifest, a tag
 *   that does not exist, no entry for this platform. Retrying cannot help.
 * - 69 (unavailable) when the registry cannot be reached or will not let us
 *   in: refused connections, timeouts, TLS failures, 401/403.
 * - 75 (retryable) for 429 and 5xx answers, which usually pass.
 */
export const OCI_DIGEST_MISMATCH = "OCI_DIGEST_MISMATCH";
export const OCI_BLOB_SIZE_MISMATCH = "OCI_BLOB_SIZE_MISMATCH";
export const OCI_MANIFEST_NOT_FOUND = "OCI_MANIFEST_NOT_FOUND";
export const OCI_BLOB_NOT_FOUND = "OCI_BLOB_NOT_FOUND";
export const OCI_MANIFEST_INVALID = "OCI_MANIFEST_INVALID";
export const OCI_UNAUTHORIZED = "OCI_UNAUTHORIZED";
export const OCI_UNREACHABLE = "OCI_UNREACHABLE";
export const OCI_PLAIN_HTTP_TO_HTTPS = "OCI_PLAIN_HTTP_TO_HTTPS";
export const OCI_PLATFORM_NOT_FOUND = "OCI_PLATFORM_NOT_FOUND";
export const OCI_REGISTRY_ERROR = "OCI_REGISTRY_ERROR";
export const OCI_CREDENTIAL_HELPER_FAILED = "OCI_CREDENTIAL_HELPER_FAILED";

export function digestMismatchError(what: string, expected: string, actual: string): OcxError {
  return new OcxError(
    OCI_DIGEST_MISMATCH,
    `digest mismatch for ${what}: expected "${expected}", got "${actual}"`,
    {
      hint: "the registry or a proxy served different content; check the mirror, then retry",
      exitCode: ExitCode.dataError,
    },
  );
}

export function blobSizeMismatchError(digest: string, expected: number, actual: string): OcxError {
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
  return new OcxError(OCI_UNAUTHORIZED, `authentication failed for registry "${registry}": ${detail}`, {
    hint: `log in with \`docker login ${registry}\` or add credentials for "${registry}" to ~/.docker/config.json (or $DOCKER_CONFIG/config.json)`,
    exitCode: ExitCode.unavailable,
  });
}

export function unreachableError(hostPort: string, detail: string, cause?: unknown): OcxError {
  return new OcxError(OCI_UNREACHABLE, `cannot reach registry "${hostPort}": ${detail}`, {
    hint: `check that a registry listens on ${hostPort} and that the network or proxy lets you reach it`,
    exitCode: ExitCode.unavailable,
    cause,
  });
}

export function plainHttpToHttpsError(registry: string, cause?: unknown): OcxError {
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

/** Maps a non-success status that no caller handled to a typed error. */
export function registryStatusError(action: string, status: number, detail: string): OcxError {
  const isRetryable = status === 429 || status >= 500;
  return new OcxError(OCI_REGISTRY_ERROR, `${action} failed: HTTP ${status}${detail ? ` ${detail}` : ""}`, {
    hint: isRetryable
      ? "the registry is overloaded or failing; retry later"
      : "check the reference and your access rights to the repository",
    exitCode: isRetryable ? ExitCode.temporaryFailure : ExitCode.unavailable,
  });
}

export function manifestInvalidError(what: string, detail: string): OcxError {
  return new OcxError(OCI_MANIFEST_INVALID, `invalid manifest ${what}: ${detail}`, {
    hint: "the registry served something that is not an OCI image manifest or image index; check the reference",
    exitCode: ExitCode.dataError,
  });
}
