import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { splitDigest, type StoreLayout } from "./layout.ts";

/** Why an object is kept: a dependent needs it, or it patches a base. */
export type RefKind = "dependency" | "patch";

export interface BackReference {
  kind: RefKind;
  /** The object that keeps this one alive. */
  from: string;
  /** For patch refs: the descriptor (`registry/repository`) whose rule added it. */
  source?: string;
}

const REF_NAME = /^(dependency|patch)-(sha256)-([a-f0-9]{64})$/;

/**
 * Back-references live in each object's refs/ folder as empty files named
 * `<kind>-sha256-<hex of the referrer>`: the name carries everything, so a
 * write cut short by a crash still leaves a valid reference.
 */
export class RefStore {
  constructor(private readonly layout: StoreLayout) {}

  /** Records that `from` keeps `to` alive; a no-op when already recorded. */
  async add(to: string, reference: BackReference, source = ""): Promise<void> {
    const [algorithm, hex] = splitDigest(reference.from);
    const dir = this.layout.refsDir(to);
    const path = join(dir, `${reference.kind}-${algorithm}-${hex}`);
    if (existsSync(path) || !existsSync(this.layout.objectDir(to))) return;
    await mkdir(dir, { recursive: true });
    await writeFile(path, source);
  }

  async list(digest: string): Promise<BackReference[]> {
    let names: string[];
    try {
      names = await readdir(this.layout.refsDir(digest));
    } catch {
      return [];
    }
    const refs: BackReference[] = [];
    for (const name of names) {
      const match = REF_NAME.exec(name);
      if (!match) continue;
      const kind = match[1] as RefKind;
      const source = kind === "patch" ? (await readFile(join(this.layout.refsDir(digest), name), "utf8").catch(() => "")).trim() : "";
      refs.push({ kind, from: `${match[2]}:${match[3]}`, ...(source ? { source } : {}) });
    }
    return refs;
  }
}
