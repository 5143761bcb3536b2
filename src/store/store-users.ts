import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic.ts";
import { isErrnoCode, storeIoError } from "./errors.ts";
import type { StoreLayout } from "./layout.ts";
import { acquireLock, isProcessAlive, ownerPidSync } from "./lock.ts";

/** Store usage by running processes, as the collector found it. */
export interface StoreUsage {
  /** Objects that running processes use (e.g. an `ocx exec` child's tools). */
  pinned: Set<string>;
}

const POLL_FIRST_MS = 5;
const POLL_MAX_MS = 100;

/**
 * A shared/exclusive lock over `$OCX_HOME`. Every command that resolves or
 * installs registers a marker `locks/users/<pid>` while it works ("resolving")
 * and then lists the objects it keeps using ("pinned") until it exits. The
 * collector (`ocx clean`, `ocx uninstall`) takes `locks/gc.lock`, waits until
 * no live process is resolving, and never removes a pinned object. Markers of
 * processes that no longer run are ignored and swept.
 */
export class StoreUsers {
  private isRegistered = false;
  private isReadOnly = false;
  private readonly pins = new Set<string>();

  constructor(private readonly layout: StoreLayout) {}

  private get usersDir(): string {
    return join(this.layout.locksDir(), "users");
  }

  private get markerPath(): string {
    return join(this.usersDir, String(process.pid));
  }

  private get gcLockPath(): string {
    return join(this.layout.locksDir(), "gc.lock");
  }

  /** Registers this process as resolving; waits while a collector runs. */
  async enterShared(): Promise<void> {
    let wait = POLL_FIRST_MS;
    for (;;) {
      await this.writeMarker("resolving");
      // Marker first, then the check. The collector does the reverse, so at
      // least one of the two finds the other.
      if (!this.isCollectorRunning()) return;
      await this.writeMarker("pinned");
      await Bun.sleep(wait);
      wait = Math.min(wait * 2, POLL_MAX_MS);
    }
  }

  /** Ends the resolving phase; the listed objects stay protected until exit. */
  async pin(digests: Iterable<string>): Promise<void> {
    for (const digest of digests) this.pins.add(digest);
    await this.writeMarker("pinned");
  }

  /** Runs `body` as the only collector, once no other process is resolving. */
  async exclusive<T>(body: (usage: StoreUsage) => Promise<T>): Promise<T> {
    const lock = await acquireLock(this.gcLockPath);
    try {
      const usage = await this.waitForResolvers();
      return await body(usage);
    } finally {
      await lock.release();
    }
  }

  private isCollectorRunning(): boolean {
    const pid = ownerPidSync(this.gcLockPath);
    return pid !== undefined && pid !== process.pid && isProcessAlive(pid);
  }

  private async waitForResolvers(): Promise<StoreUsage> {
    let wait = POLL_FIRST_MS;
    for (;;) {
      const markers = await this.readMarkers();
      if (markers.every((marker) => marker.state === "pinned")) {
        return { pinned: new Set(markers.flatMap((marker) => marker.digests)) };
      }
      await Bun.sleep(wait);
      wait = Math.min(wait * 2, POLL_MAX_MS);
    }
  }

  private async readMarkers(): Promise<{ state: string; digests: string[] }[]> {
    let names: string[];
    try {
      names = await readdir(this.usersDir);
    } catch {
      return [];
    }
    const markers: { state: string; digests: string[] }[] = [];
    for (const name of names) {
      const pid = Number(name);
      if (!Number.isInteger(pid) || pid === process.pid) continue;
      const path = join(this.usersDir, name);
      if (!isProcessAlive(pid)) {
        await rm(path, { force: true });
        continue;
      }
      const lines = (await readFile(path, "utf8").catch(() => "")).split("\n").filter(Boolean);
      // A marker caught mid-write reads as resolving, so the collector waits.
      markers.push({ state: lines[0] ?? "resolving", digests: lines.slice(1) });
    }
    return markers;
  }

  private async writeMarker(state: "resolving" | "pinned"): Promise<void> {
    if (this.isReadOnly) return;
    const text = [state, ...this.pins].join("\n") + "\n";
    try {
      await mkdir(this.usersDir, { recursive: true });
      await writeFileAtomic(this.markerPath, text);
    } catch (error) {
      // No collector can run in a home that cannot be written, so reading goes on.
      if (isErrnoCode(error, "EROFS", "EACCES", "EPERM")) {
        this.isReadOnly = true;
        return;
      }
      throw storeIoError("registering in", this.usersDir, error);
    }
    if (!this.isRegistered) {
      this.isRegistered = true;
      const path = this.markerPath;
      process.once("exit", () => rmSync(path, { force: true }));
    }
  }
}
