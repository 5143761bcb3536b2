import { open } from "node:fs/promises";
import { OcxError, isOcxError } from "../error/index.ts";
import { log, type Reporter } from "../report/reporter.ts";
import { OCI_BLOB_SIZE_MISMATCH, OCI_DIGEST_MISMATCH } from "./errors.ts";
import type { RegistryClient } from "./registry-client.ts";
import { isTransientNetworkError } from "./transport.ts";
import type { Descriptor } from "./types.ts";

export interface DownloadRequest {
  registry: string;
  repository: string;
  descriptor: Descriptor;
  /** File to write; replaced if present. */
  path: string;
  /** The package the blob belongs to, for progress events. */
  package?: string;
  reporter: Reporter;
}

export interface DownloadResult {
  size: number;
  attempts: number;
  ms: number;
}

/** A broken body gets this many attempts; each attempt has its own request retries. */
const BODY_ATTEMPTS = 2;

/**
 * Streams a blob to disk, verifying size and digest on the way, so memory
 * stays flat whatever the layer size. A body that is cut short, stalls or
 * does not match its digest is fetched once more: a proxy hiccup passes,
 * while a registry that really serves wrong content fails with an error
 * naming the registry, repository and digest.
 */
export async function downloadBlob(
  client: RegistryClient,
  request: DownloadRequest,
): Promise<DownloadResult> {
  const started = performance.now();
  const attempts = await withBodyRetry(request, () => writeBlob(client, request));
  return {
    size: request.descriptor.size,
    attempts,
    ms: performance.now() - started,
  };
}

/**
 * Runs `attempt` until it succeeds, repeating it once when the body broke
 * off, stalled or did not verify. Returns the number of attempts made.
 */
export async function withBodyRetry(
  request: Omit<DownloadRequest, "path">,
  attempt: () => Promise<void>,
): Promise<number> {
  const { registry, repository, descriptor } = request;
  for (let count = 1; ; count++) {
    try {
      await attempt();
      return count;
    } catch (error) {
      if (!isBodyFailure(error)) throw error;
      if (count >= BODY_ATTEMPTS) throw bodyFailure(error as OcxError, request, count);
      log(request.reporter, "warn", `downloading blob "${descriptor.digest}" from "${registry}/${repository}" failed: ${(error as Error).message}; trying once more`, { registry, repository, digest: descriptor.digest });
    }
  }
}

async function writeBlob(
  client: RegistryClient,
  request: DownloadRequest,
): Promise<void> {
  const { registry, repository, descriptor } = request;
  const stream = await client.fetchBlob(registry, repository, descriptor, {
    ...(request.package === undefined ? {} : { package: request.package }),
  });
  const file = await open(request.path, "w", 0o600);
  try {
    for await (const chunk of stream) await file.write(chunk);
  } finally {
    await file.close();
  }
}

function isBodyFailure(error: unknown): boolean {
  if (isTransientNetworkError(error)) return true;
  return (
    isOcxError(error) &&
    (error.code === OCI_DIGEST_MISMATCH || error.code === OCI_BLOB_SIZE_MISMATCH)
  );
}

function bodyFailure(
  error: OcxError,
  request: Omit<DownloadRequest, "path">,
  attempts: number,
): OcxError {
  const where = `"${request.registry}/${request.repository}"`;
  // "got 123" is a short body; "got more than 123" is content that is wrong.
  const isShort =
    error.code === OCI_BLOB_SIZE_MISMATCH && /got \d+$/.test(error.message);
  const hint = isTransientNetworkError(error)
    ? `the connection to ${request.registry} keeps breaking; retry later, raise [network] stall_timeout_ms, or add a mirror under [mirrors]`
    : isShort
      ? `the body was cut short twice; check the proxy between you and ${request.registry}, then retry`
      : `the registry or a proxy in between serves content that does not match the manifest; check the proxy or mirror, or ask the publisher of ${where} to push again`;
  return new OcxError(
    error.code,
    `downloading blob "${request.descriptor.digest}" from ${where} failed after ${attempts} attempts: ${error.message}`,
    { hint, exitCode: error.exitCode, cause: error },
  );
}
