import type { RegistryClient } from "./registry-client.ts";
import type { Reference } from "./reference.ts";
import type { Descriptor } from "./types.ts";
import { sha256Digest } from "./digest.ts";
import {
  digestMismatchError,
  registryStatusError,
  responseError,
} from "./errors.ts";
import { formatReference } from "./reference.ts";

/**
 * Blob content: bytes in memory, or a file whose digest and size the caller has
 * computed.
 */
export type BlobSource =
  Uint8Array | { path: string; digest: string; size: number };

export interface PushBlobRequest {
  registry: string;
  repository: string;
  data: BlobSource;
  mediaType: string;
}

/**
 * Uploads a blob with the distribution spec's monolithic flow: POST to open
 * an upload session, then one PUT with the whole body and `?digest=`. Skips
 * the upload when a HEAD (or GET) shows the registry has the blob.
 *
 * NOTE: a registry or proxy that caps the request body size rejects large
 * blobs, because chunked PATCH uploads are not implemented.
 */
export async function pushBlob(
  client: RegistryClient,
  request: PushBlobRequest,
): Promise<Descriptor> {
  const { registry, repository, data, mediaType } = request;
  const isBytes = data instanceof Uint8Array;
  const digest = isBytes ? sha256Digest(data) : data.digest;
  const size = isBytes ? data.byteLength : data.size;
  const descriptor: Descriptor = { mediaType, digest, size };
  if (await client.blobExists(registry, repository, digest)) return descriptor;

  const opened = await client.request(registry, {
    repository,
    path: `/v2/${repository}/blobs/uploads/`,
    method: "POST",
    actions: "pull,push",
  });
  const location = opened.headers.get("location");
  const action = `opening an upload for blob "${digest}" in "${registry}/${repository}"`;
  if (opened.status !== 202) throw await responseError(action, opened);
  await opened.body?.cancel();
  if (location === null)
    throw registryStatusError(action, opened.status, "(no Location header)");

  // The Location may carry its own query (upload state), so append the digest
  // to it.
  const target = new URL(location, "http://placeholder");
  target.searchParams.set("digest", digest);
  const isAbsolute = /^[a-z][a-z0-9+.-]*:\/\//i.test(location);
  const uploadUrl = isAbsolute
    ? target.href
    : `${target.pathname}${target.search}`;
  const uploaded = await client.request(registry, {
    repository,
    path: uploadUrl,
    method: "PUT",
    actions: "pull,push",
    headers: {
      "content-type": "application/octet-stream",
      "content-length": String(size),
    },
    body: () => (isBytes ? data : Bun.file(data.path)),
  });
  if (uploaded.status !== 201) {
    throw await responseError(
      `uploading blob "${digest}" to "${registry}/${repository}"`,
      uploaded,
    );
  }
  await uploaded.body?.cancel();
  return descriptor;
}

export interface PushManifestRequest {
  reference: Reference;
  bytes: Uint8Array;
  mediaType: string;
}

/**
 * PUTs a manifest at the reference's tag, or at its digest when it has no tag.
 */
export async function pushManifest(
  client: RegistryClient,
  request: PushManifestRequest,
): Promise<string> {
  const { reference, bytes, mediaType } = request;
  const digest = sha256Digest(bytes);
  const text = formatReference(reference);
  if (reference.digest !== undefined && reference.digest !== digest) {
    throw digestMismatchError(
      `manifest pushed as "${text}"`,
      reference.digest,
      digest,
    );
  }

  const target = reference.tag ?? digest;
  const { registry, repository } = reference;
  const response = await client.request(registry, {
    repository,
    path: `/v2/${repository}/manifests/${target}`,
    method: "PUT",
    actions: "pull,push",
    headers: { "content-type": mediaType },
    body: () => bytes,
  });
  if (response.status !== 201)
    throw await responseError(`pushing manifest "${text}"`, response);
  await response.body?.cancel();

  const echoed = response.headers.get("docker-content-digest");
  if (echoed !== null && echoed !== "" && echoed !== digest) {
    throw digestMismatchError(
      `manifest pushed as "${text}" (Docker-Content-Digest header)`,
      digest,
      echoed,
    );
  }
  return digest;
}
