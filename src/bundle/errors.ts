import { ExitCode, OcxError } from "../error/index.ts";

export const BUNDLE_INVALID = "BUNDLE_INVALID";
export const BUNDLE_INCOMPLETE = "BUNDLE_INCOMPLETE";
export const BUNDLE_DIGEST_MISMATCH = "BUNDLE_DIGEST_MISMATCH";

/** Role of an entry in a bundle's index.json, which tells import what to link. */
export const ROLE_ANNOTATION = "sh.ocx.bundle.role";
/** Patch repositories looked up during export that hold no descriptor (JSON list). */
export const ABSENT_PATCHES_ANNOTATION = "sh.ocx.bundle.absent-patches";

export type BundleRole = "root" | "dependency" | "companion" | "patch";

export function bundleInvalid(path: string, detail: string): OcxError {
  return new OcxError(BUNDLE_INVALID, `cannot read bundle "${path}": ${detail}`, {
    hint: "a bundle is an OCI image layout folder or a tar of one, as `ocx bundle export` or `skopeo copy ... oci:DIR:REF` writes it",
    exitCode: ExitCode.dataError,
  });
}
