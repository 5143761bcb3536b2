import { describe, expect, test } from "bun:test";
import {
  digestLike,
  sha256Digest,
  verifyBlobStream,
} from "../../src/oci/digest.ts";
import {
  OCI_BLOB_SIZE_MISMATCH,
  OCI_DIGEST_MISMATCH,
} from "../../src/oci/errors.ts";

const encoder = new TextEncoder();

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

function descriptorFor(text: string) {
  return {
    mediaType: "application/octet-stream",
    digest: sha256Digest(encoder.encode(text)),
    size: text.length,
  };
}

describe("sha256Digest", () => {
  test("matches the empty config digest", () => {
    expect(sha256Digest(encoder.encode("{}"))).toBe(
      "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
    );
  });
});

describe("digestLike", () => {
  test("uses the algorithm of the expected digest", () => {
    expect(
      digestLike(`sha512:${"0".repeat(128)}`, encoder.encode("")),
    ).toStartWith("sha512:cf83e1357eef");
  });

  test("returns undefined for an unknown algorithm", () => {
    expect(digestLike("md5:abc", encoder.encode(""))).toBeUndefined();
  });
});

describe("verifyBlobStream", () => {
  test("passes matching content through", async () => {
    const stream = verifyBlobStream(
      streamOf("hello ", "world"),
      descriptorFor("hello world"),
    );

    expect(await new Response(stream).text()).toBe("hello world");
  });

  test("errors on a digest mismatch", async () => {
    const stream = verifyBlobStream(
      streamOf("hello there"),
      descriptorFor("hello world"),
    );

    await expect(new Response(stream).text()).rejects.toMatchObject({
      code: OCI_DIGEST_MISMATCH,
    });
  });

  test("errors as soon as the size is exceeded", async () => {
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(10));
      },
    });

    const stream = verifyBlobStream(endless, {
      mediaType: "x",
      digest: sha256Digest(new Uint8Array(25)),
      size: 25,
    });

    await expect(new Response(stream).arrayBuffer()).rejects.toMatchObject({
      code: OCI_BLOB_SIZE_MISMATCH,
    });
    expect(pulled).toBeLessThan(6);
  });

  test("errors on a short body", async () => {
    const stream = verifyBlobStream(streamOf("hello"), {
      ...descriptorFor("hello"),
      size: 6,
    });

    await expect(new Response(stream).text()).rejects.toMatchObject({
      code: OCI_BLOB_SIZE_MISMATCH,
    });
  });

  test("signals verification at the end", async () => {
    let verifiedCount = 0;

    const stream = verifyBlobStream(streamOf(""), descriptorFor(""), {
      onVerified: () => verifiedCount++,
    });
    await new Response(stream).text();

    expect(verifiedCount).toBe(1);
  });

  test("reports progress per chunk", async () => {
    const received: number[] = [];

    const stream = verifyBlobStream(
      streamOf("ab", "cde"),
      descriptorFor("abcde"),
      { onProgress: (count) => received.push(count) },
    );
    await new Response(stream).text();

    expect(received).toEqual([2, 5]);
  });
});
