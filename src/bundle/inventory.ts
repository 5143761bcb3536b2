import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as v from "valibot";
import { ExitCode, OcxError } from "../error/index.ts";
import type { StoreLayout } from "../store/layout.ts";
import { listObjects } from "../store/store-walk.ts";
import { BUNDLE_INVALID } from "./errors.ts";

const InventorySchema = v.object({
  version: v.literal(1),
  digests: v.array(v.pipe(v.string(), v.regex(/^sha256:[a-f0-9]{64}$/))),
});

export type Inventory = v.InferOutput<typeof InventorySchema>;

/**
 * Lists the digests a home already contains: each object's manifest and
 * the config and layers it was built from. `ocx bundle export
 * --missing-from` leaves those blobs out.
 */
export async function takeInventory(layout: StoreLayout): Promise<Inventory> {
  const digests = new Set<string>();
  for (const digest of await listObjects(layout)) {
    digests.add(digest);
    try {
      const manifest = JSON.parse(await readFile(join(layout.objectDir(digest), "manifest.json"), "utf8")) as {
        config?: { digest?: string };
        layers?: { digest?: string }[];
      };
      for (const blob of [manifest.config, ...(manifest.layers ?? [])]) if (blob?.digest) digests.add(blob.digest);
    } catch {
      // A broken object lists nothing reliable, and `ocx verify` reports it.
    }
  }
  return { version: 1, digests: [...digests].sort() };
}

export async function readInventory(path: string): Promise<Set<string>> {
  let parsed;
  try {
    parsed = v.safeParse(InventorySchema, JSON.parse(await readFile(path, "utf8")));
  } catch (error) {
    throw inventoryError(path, (error as Error).message);
  }
  if (!parsed.success) throw inventoryError(path, parsed.issues[0]?.message ?? "unexpected shape");
  return new Set(parsed.output.digests);
}

function inventoryError(path: string, detail: string): OcxError {
  return new OcxError(BUNDLE_INVALID, `cannot read inventory "${path}": ${detail}`, {
    hint: "write it on the offline host with `ocx bundle inventory --output FILE`",
    exitCode: ExitCode.dataError,
  });
}
