import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { withLock } from "./lock.ts";
import * as v from "valibot";
import { writeFileAtomic } from "./atomic.ts";
import { isErrnoCode } from "./errors.ts";
import type { StoreLayout } from "./layout.ts";

const DigestSchema = v.pipe(v.string(), v.regex(/^sha256:[a-f0-9]{64}$/));

const TagEntrySchema = v.object({
  /** The manifest or image index the tag named when last synced. */
  digest: DigestSchema,
  mediaType: v.string(),
  /** Platform (`os/arch`) to platform-manifest digest, for tags that name an index. */
  platforms: v.optional(v.record(v.string(), DigestSchema)),
});

const TagFileSchema = v.object({
  /** Stored because the folder name is a lossy slug of the registry. */
  registry: v.optional(v.string()),
  repository: v.optional(v.string()),
  /** `null` records a tag that was looked up and does not exist (a synced, absent patch). */
  tags: v.record(v.string(), v.nullable(TagEntrySchema)),
});

export type TagEntry = v.InferOutput<typeof TagEntrySchema>;
type TagFile = v.InferOutput<typeof TagFileSchema>;

/** The state of one tag in the local index. */
export type TagState =
  | { state: "never-synced" }
  | { state: "absent" }
  | { state: "present"; entry: TagEntry };

/**
 * The local index: tag -> digest per repository, as last synced. Resolution
 * reads it so installed, synced packages need no network at all.
 */
export class LocalIndex {
  constructor(private readonly layout: StoreLayout) {}

  async lookup(registry: string, repository: string, tag: string): Promise<TagState> {
    const file = await this.read(registry, repository);
    if (!Object.hasOwn(file.tags, tag)) return { state: "never-synced" };
    const entry = file.tags[tag];
    return entry === null || entry === undefined ? { state: "absent" } : { state: "present", entry };
  }

  /** Records a tag's entry; `null` records it as absent, `undefined` removes it. */
  async record(registry: string, repository: string, tag: string, entry: TagEntry | null | undefined): Promise<void> {
    const path = this.layout.tagIndexFile(registry, repository);
    await mkdir(dirname(path), { recursive: true });
    // Read-modify-write under a lock: concurrent installs of other tags of
    // the same repository must not drop each other's entries.
    await withLock(`${path}.lock`, async () => {
      const file = await this.read(registry, repository);
      if (entry === undefined) delete file.tags[tag];
      else file.tags[tag] = entry;
      file.registry = registry;
      file.repository = repository;
      await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`);
    });
    await writeFile(this.layout.indexStamp(), "");
  }

  /** Returns all tag entries of one repository, for digest lookups offline. */
  async entries(registry: string, repository: string): Promise<Record<string, TagEntry | null>> {
    return (await this.read(registry, repository)).tags;
  }

  /** Lists every synced tag in the index, for `ocx index update` without arguments. */
  async knownTags(): Promise<{ registry: string; repository: string; tag: string }[]> {
    const root = join(this.layout.home, "index");
    let files: string[];
    try {
      files = (await readdir(root, { recursive: true })).filter((name) => name.endsWith(".json"));
    } catch (error) {
      if (isErrnoCode(error, "ENOENT")) return [];
      throw error;
    }
    const found: { registry: string; repository: string; tag: string }[] = [];
    for (const name of files.sort()) {
      const file = await readTagFile(join(root, name));
      if (file.registry === undefined || file.repository === undefined) continue;
      for (const tag of Object.keys(file.tags)) found.push({ registry: file.registry, repository: file.repository, tag });
    }
    return found;
  }

  private read(registry: string, repository: string): Promise<TagFile> {
    return readTagFile(this.layout.tagIndexFile(registry, repository));
  }
}

async function readTagFile(path: string): Promise<TagFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if (isErrnoCode(error, "ENOENT")) return { tags: {} };
    throw error;
  }
  // A damaged index file counts as never synced: the next online run rewrites it.
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { tags: {} };
  }
  const parsed = v.safeParse(TagFileSchema, data);
  return parsed.success ? parsed.output : { tags: {} };
}
