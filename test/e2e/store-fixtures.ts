import { readdir } from "node:fs/promises";
import { toolPackage } from "./harness.ts";

/** About 1 MB of gzip that does not compress away, so downloads overlap. */
export function bigPackage(name: string) {
  const random = new Uint8Array(768 * 1024);
  for (let offset = 0; offset < random.length; offset += 65536) crypto.getRandomValues(random.subarray(offset, offset + 65536));
  return toolPackage(name, name, { files: { "data.txt": Buffer.from(random).toString("base64") } });
}

export async function layerOf(registryUrl: string, repository: string, tag: string): Promise<string> {
  const response = await fetch(`${registryUrl}/v2/${repository}/manifests/${tag}`, {
    headers: { accept: "application/vnd.oci.image.manifest.v1+json" },
  });
  return ((await response.json()) as { layers: { digest: string }[] }).layers[0]!.digest;
}

/** Paths a finished run must not leave: temporaries, partial files, locks. */
export async function leftovers(home: string): Promise<string[]> {
  const names = await readdir(home, { recursive: true });
  const temporaries = names.filter((name) => /\.tmp$|\.partial$|\.stale$|\.lock$|^tmp\/.+|^locks\/users\/.+/.test(name));
  return temporaries;
}
