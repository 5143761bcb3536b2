/** Media types from the OCI image spec and the OCX package format. */
export const MediaType = {
  imageManifest: "application/vnd.oci.image.manifest.v1+json",
  imageIndex: "application/vnd.oci.image.index.v1+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  empty: "application/vnd.oci.empty.v1+json",
  layerTarGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  layerTarZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  layerTar: "application/vnd.oci.image.layer.v1.tar",
  dockerLayerTarGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  ocxPackage: "application/vnd.sh.ocx.package.v1",
  ocxPackageConfig: "application/vnd.sh.ocx.package.v1+json",
  ocxPatch: "application/vnd.sh.ocx.patch.v1",
  ocxPatchDescriptor: "application/vnd.sh.ocx.patch.descriptor.v1+json",
} as const;

/** Every manifest type ocx reads, sent in `Accept` on each manifest request. */
export const manifestAcceptTypes = [
  MediaType.imageIndex,
  MediaType.imageManifest,
  MediaType.dockerManifestList,
  MediaType.dockerManifest,
] as const;

/** The 2-byte empty JSON config blob `{}` and its digest. */
export const emptyConfig = {
  bytes: new TextEncoder().encode("{}"),
  digest: "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
  size: 2,
} as const;

export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType === MediaType.imageIndex || mediaType === MediaType.dockerManifestList;
}
