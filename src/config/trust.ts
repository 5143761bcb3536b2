import { mkdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import * as v from "valibot";
import { writeFileAtomic } from "../store/atomic.ts";
import { withLock } from "../store/lock.ts";

const TrustFileSchema = v.object({
  /** Absolute path of a project file to the sha256 of the content that was trusted. */
  files: v.record(v.string(), v.pipe(v.string(), v.regex(/^[a-f0-9]{64}$/))),
});

/**
 * The project files the user has trusted, by content. A project file can
 * add patch registries, plugins and insecure registries, and activation
 * reads it on every `cd`, so, as with direnv's `allow`, a file is used only
 * after `ocx trust`, and again only after each change to it.
 */
export class TrustStore {
  private readonly file: string;

  constructor(home: string) {
    this.file = join(home, "trusted.json");
  }

  async isTrusted(path: string, content: string | Uint8Array): Promise<boolean> {
    const files = await this.read();
    return files[path] === hashOf(content);
  }

  async trust(path: string, content: string | Uint8Array): Promise<void> {
    await this.update((files) => {
      files[path] = hashOf(content);
    });
  }

  async untrust(path: string): Promise<boolean> {
    let wasTrusted = false;
    await this.update((files) => {
      wasTrusted = Object.hasOwn(files, path);
      delete files[path];
    });
    return wasTrusted;
  }

  private async update(change: (files: Record<string, string>) => void): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    await withLock(`${this.file}.lock`, async () => {
      const files = await this.read();
      change(files);
      await writeFileAtomic(this.file, `${JSON.stringify({ files }, null, 2)}\n`);
    });
  }

  private async read(): Promise<Record<string, string>> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch {
      return {};
    }
    try {
      const parsed = v.safeParse(TrustFileSchema, JSON.parse(text));
      return parsed.success ? { ...parsed.output.files } : {};
    } catch {
      return {};
    }
  }
}

function hashOf(content: string | Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(content).digest("hex");
}
