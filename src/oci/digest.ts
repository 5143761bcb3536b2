import type { Descriptor } from "./types.ts";
import { blobSizeMismatchError, digestMismatchError } from "./errors.ts";

const SUPPORTED_ALGORITHMS = new Set(["sha256", "sha512"]);

/** Computes the OCI digest `sha256:<hex>` of a byte array. */
export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}`;
}

/**
 * Returns the digest of `bytes` in the algorithm that `expected` uses, so a
 * sha512 descriptor is checked with sha512. Unknown algorithms return
 * undefined and the caller reports them as a mismatch.
 */
export function digestLike(
  expected: string,
  bytes: Uint8Array,
): string | undefined {
  const algorithm = expected.split(":", 1)[0] ?? "";
  if (!SUPPORTED_ALGORITHMS.has(algorithm)) return undefined;
  const hasher = new Bun.CryptoHasher(algorithm as "sha256" | "sha512");
  return `${algorithm}:${hasher.update(bytes).digest("hex")}`;
}

export interface VerifyOptions {
  /** Called after each chunk with the byte count received so far. */
  onProgress?: (received: number) => void;
  /** Called once the whole blob arrived with the expected size and digest. */
  onVerified?: () => void;
}

/**
 * Wraps `body` in a stream that checks size and digest against `descriptor`
 * while the consumer reads. Past `descriptor.size` bytes it cancels `body`
 * at once, so a hostile registry cannot make us download without bound.
 */
export function verifyBlobStream(
  body: ReadableStream<Uint8Array>,
  descriptor: Descriptor,
  options: VerifyOptions = {},
): ReadableStream<Uint8Array> {
  const algorithm = descriptor.digest.split(":", 1)[0] ?? "";
  const hasher = SUPPORTED_ALGORITHMS.has(algorithm)
    ? new Bun.CryptoHasher(algorithm as "sha256" | "sha512")
    : undefined;
  const reader = body.getReader();
  let received = 0;

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) {
        const failure = checkComplete(descriptor, received, hasher, algorithm);
        if (failure) controller.error(failure);
        else {
          options.onVerified?.();
          controller.close();
        }
        return;
      }
      received += value.byteLength;
      if (received > descriptor.size) {
        await reader.cancel().catch(() => {});
        controller.error(
          blobSizeMismatchError(
            descriptor.digest,
            descriptor.size,
            `more than ${descriptor.size}`,
          ),
        );
        return;
      }
      hasher?.update(value);
      options.onProgress?.(received);
      controller.enqueue(value);
    },
    async cancel(reason) {
      await reader.cancel(reason);
    },
  });
}

function checkComplete(
  descriptor: Descriptor,
  received: number,
  hasher: Bun.CryptoHasher | undefined,
  algorithm: string,
): Error | undefined {
  if (received !== descriptor.size) {
    return blobSizeMismatchError(
      descriptor.digest,
      descriptor.size,
      `${received}`,
    );
  }
  const actual = hasher
    ? `${algorithm}:${hasher.digest("hex")}`
    : `unsupported algorithm "${algorithm}"`;
  if (actual !== descriptor.digest) {
    return digestMismatchError(
      `blob "${descriptor.digest}"`,
      descriptor.digest,
      actual,
    );
  }
  return undefined;
}
