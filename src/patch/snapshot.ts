import { readFile } from "node:fs/promises";
import * as v from "valibot";
import { ExitCode, OcxError } from "../error/index.ts";
import { PATCH_SNAPSHOT_INVALID } from "./errors.ts";

const DIGEST = /^sha256:[a-f0-9]{64}$/;
const DigestSchema = v.pipe(v.string(), v.regex(DIGEST, "expected sha256: and 64 hex digits"));

const PatchSnapshotSchema = v.strictObject({
  version: v.literal(1),
  /** Patch repository (`registry/repository`) -> descriptor manifest digest; `null` when none is published. */
  descriptors: v.record(v.string(), v.nullable(DigestSchema)),
  /** Companion reference, as a rule names it -> the manifest (or image index) digest it named. */
  companions: v.record(v.string(), DigestSchema),
});

/**
 * What `ocx patch freeze` writes. With a snapshot in the config, patch
 * sources read descriptors and companions by these digests only, so a tag
 * moved in the patch registry changes nothing until the snapshot does.
 */
export type PatchSnapshot = v.InferOutput<typeof PatchSnapshotSchema>;

export function parsePatchSnapshot(input: unknown, options: { source: string }): PatchSnapshot {
  const result = v.safeParse(PatchSnapshotSchema, input);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const path = v.getDotPath(issue) ?? "the document";
  throw snapshotInvalid(options.source, `${path}: ${issue.message}`);
}

export async function readPatchSnapshot(file: string): Promise<PatchSnapshot> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw snapshotInvalid(file, `cannot be read: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw snapshotInvalid(file, `not JSON: ${(error as Error).message}`);
  }
  return parsePatchSnapshot(data, { source: file });
}

function snapshotInvalid(source: string, detail: string): OcxError {
  return new OcxError(PATCH_SNAPSHOT_INVALID, `invalid patch snapshot "${source}": ${detail}`, {
    hint: "write it again with `ocx patch freeze --output FILE`, or remove patch-snapshot from the config",
    exitCode: ExitCode.dataError,
  });
}
