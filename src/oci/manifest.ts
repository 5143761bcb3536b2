import * as v from "valibot";
import { digestLike, sha256Digest } from "./digest.ts";
import { digestMismatchError, manifestInvalidError } from "./errors.ts";
import {
  formatReference,
  type ParseResult,
  type Reference,
} from "./reference.ts";
import type { ImageIndex, ImageManifest } from "./types.ts";
import { MediaType, isIndexMediaType } from "./media-types.ts";

const PlatformSchema = v.object({
  os: v.string(),
  architecture: v.string(),
  variant: v.optional(v.string()),
});

const DescriptorSchema = v.object({
  mediaType: v.string(),
  digest: v.pipe(
    v.string(),
    v.regex(/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/),
  ),
  size: v.pipe(v.number(), v.integer(), v.minValue(0)),
  annotations: v.optional(v.record(v.string(), v.string())),
  artifactType: v.optional(v.string()),
  platform: v.optional(PlatformSchema),
});

const ImageManifestSchema = v.object({
  schemaVersion: v.literal(2),
  mediaType: v.optional(v.string()),
  artifactType: v.optional(v.string()),
  config: DescriptorSchema,
  layers: v.array(DescriptorSchema),
  annotations: v.optional(v.record(v.string(), v.string())),
});

const ImageIndexSchema = v.object({
  schemaVersion: v.literal(2),
  mediaType: v.optional(v.string()),
  artifactType: v.optional(v.string()),
  manifests: v.array(DescriptorSchema),
  annotations: v.optional(v.record(v.string(), v.string())),
});

export type ParsedManifest =
  | { mediaType: string; kind: "index"; manifest: ImageIndex }
  | { mediaType: string; kind: "manifest"; manifest: ImageManifest };

/**
 * Manifests past 4 MiB are rejected, the same cap as the manifest handler of
 * docker distribution and `MaxManifestBodySize` in containers/image.
 */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

const MANIFEST_TYPES = new Set<string>([
  MediaType.imageManifest,
  MediaType.dockerManifest,
]);

/**
 * Parses manifest bytes, deciding between image manifest and image index by
 * what the registry returned: the body's `mediaType`, then the
 * `Content-Type`, then the shape (`manifests` or `config`). What the client
 * put in `Accept` plays no part.
 */
export function parseManifest(
  bytes: Uint8Array,
  contentType: string | null,
): ParseResult<ParsedManifest> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    return { ok: false, reason: `not JSON (${(error as Error).message})` };
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return { ok: false, reason: "not a JSON object" };
  }

  const body = json as Record<string, unknown>;
  const headerType = contentType?.split(";", 1)[0]?.trim().toLowerCase();
  const bodyType =
    typeof body.mediaType === "string" ? body.mediaType : undefined;
  const mediaType =
    bodyType ??
    (isKnownType(headerType) ? headerType : undefined) ??
    guessType(body);
  if (mediaType === undefined)
    return {
      ok: false,
      reason: "no media type and neither `config` nor `manifests`",
    };

  if (isIndexMediaType(mediaType)) {
    const result = v.safeParse(ImageIndexSchema, body);
    if (!result.success)
      return { ok: false, reason: describeIssue(result.issues[0]) };
    return {
      ok: true,
      value: {
        mediaType,
        kind: "index",
        manifest: result.output as ImageIndex,
      },
    };
  }
  if (!MANIFEST_TYPES.has(mediaType))
    return { ok: false, reason: `unsupported media type "${mediaType}"` };
  const result = v.safeParse(ImageManifestSchema, body);
  if (!result.success)
    return { ok: false, reason: describeIssue(result.issues[0]) };
  return {
    ok: true,
    value: {
      mediaType,
      kind: "manifest",
      manifest: result.output as ImageManifest,
    },
  };
}

function isKnownType(mediaType: string | undefined): mediaType is string {
  return (
    mediaType !== undefined &&
    (isIndexMediaType(mediaType) || MANIFEST_TYPES.has(mediaType))
  );
}

function guessType(body: Record<string, unknown>): string | undefined {
  if (Array.isArray(body.manifests)) return MediaType.imageIndex;
  if (typeof body.config === "object" && body.config !== null)
    return MediaType.imageManifest;
  return undefined;
}

function describeIssue(issue: v.BaseIssue<unknown>): string {
  const path = issue.path?.map((item) => String(item.key)).join(".") ?? "";
  return path ? `${path}: ${issue.message}` : issue.message;
}

/**
 * Returns the manifest digest, computed from the body. The body always wins:
 * a `Docker-Content-Digest` header is optional (proxies drop it), but one that
 * disagrees with the body, or a body that does not match a pinned digest, fails.
 */
export function verifyManifestDigest(
  bytes: Uint8Array,
  reference: Reference,
  header: string | null,
): string {
  const text = formatReference(reference);
  if (reference.digest !== undefined) {
    const actual = digestLike(reference.digest, bytes) ?? sha256Digest(bytes);
    if (actual !== reference.digest)
      throw digestMismatchError(`manifest "${text}"`, reference.digest, actual);
    return reference.digest;
  }
  const digest = sha256Digest(bytes);
  if (header !== null && header.trim() !== "") {
    const expected = header.trim();
    const actual = digestLike(expected, bytes);
    if (actual !== expected) {
      throw digestMismatchError(
        `manifest "${text}" (Docker-Content-Digest header)`,
        expected,
        actual ?? digest,
      );
    }
  }
  return digest;
}

/** Reads a manifest response body, rejecting one past the size limit. */
export async function readManifestBody(
  response: Response,
  subject: string,
): Promise<Uint8Array> {
  const limit = MAX_MANIFEST_BYTES;
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > limit) {
    await response.body?.cancel();
    throw manifestInvalidError(
      subject,
      `${declared} bytes is more than the ${limit}-byte limit`,
    );
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body?.getReader();
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw manifestInvalidError(subject, `more than the ${limit}-byte limit`);
    }
    chunks.push(value);
  }
  return new Uint8Array(Buffer.concat(chunks));
}
