import type { OcxEvent } from "../report/reporter.ts";

export interface ProgressViewOptions {
  /** Bars redrawn in place; otherwise plain lines. */
  isTerminal: boolean;
  write: (text: string) => void;
  now?: () => number;
  /** Terminal width for the bars. */
  columns?: number;
}

interface PackageState {
  size: number;
  started: number;
  /** Bytes per blob digest; a retried blob starts again from 0. */
  received: Map<string, number>;
  lastLine: number;
}

const REDRAW_MS = 100;
const LINE_INTERVAL_MS = 1000;
const BAR_WIDTH = 24;

/**
 * Shows download progress per package: bytes, total and rate. On a
 * terminal it keeps one bar per package in place, redrawn at most ten
 * times a second; elsewhere (only with --progress) it prints a line per
 * package at the start, every second, and at the end.
 */
export class ProgressView {
  readonly #packages = new Map<string, PackageState>();
  readonly #options: ProgressViewOptions;
  #drawnLines = 0;
  #lastDraw = 0;

  constructor(options: ProgressViewOptions) {
    this.#options = options;
  }

  /** Handles a download event; returns false for events it does not show. */
  handle(event: OcxEvent): boolean {
    const now = this.#now();
    switch (event.kind) {
      case "package-start":
        this.#packages.set(event.package, { size: event.size, started: now, received: new Map(), lastLine: now });
        if (!this.#options.isTerminal) this.#line(`downloading ${event.package} (${formatBytes(event.size)})`);
        this.#draw(now, true);
        return true;
      case "download-progress": {
        const state = event.package === undefined ? undefined : this.#packages.get(event.package);
        if (!state) return true;
        state.received.set(event.digest, event.received);
        if (this.#options.isTerminal) this.#draw(now, false);
        else if (now - state.lastLine >= LINE_INTERVAL_MS) {
          state.lastLine = now;
          this.#line(`${event.package}: ${describe(state, now)}`);
        }
        return true;
      }
      case "package-end": {
        const state = this.#packages.get(event.package);
        this.#packages.delete(event.package);
        if (state && !this.#options.isTerminal) {
          this.#line(`downloaded ${event.package}: ${formatBytes(event.size)} in ${(event.ms / 1000).toFixed(1)} s (${formatRate(event.size, event.ms)})`);
        }
        this.#draw(now, true);
        return true;
      }
      case "download-start":
      case "download-end":
        return true;
      default:
        return false;
    }
  }

  /** Removes the bars so a log line can be written; the next event redraws them. */
  clear(): void {
    if (this.#drawnLines === 0) return;
    this.#options.write(`\x1b[${this.#drawnLines}A\x1b[0J`);
    this.#drawnLines = 0;
  }

  #draw(now: number, isForced: boolean): void {
    if (!this.#options.isTerminal) return;
    if (!isForced && now - this.#lastDraw < REDRAW_MS) return;
    this.#lastDraw = now;
    this.clear();
    const width = this.#options.columns ?? 100;
    const lines = [...this.#packages].map(([name, state]) => {
      const done = Math.min(1, total(state) / Math.max(1, state.size));
      const filled = Math.round(done * BAR_WIDTH);
      const bar = `[${"#".repeat(filled)}${".".repeat(BAR_WIDTH - filled)}]`;
      return `${bar} ${describe(state, now)}  ${name}`.slice(0, width - 1);
    });
    if (lines.length === 0) return;
    this.#options.write(`${lines.join("\n")}\n`);
    this.#drawnLines = lines.length;
  }

  #line(text: string): void {
    this.#options.write(`${text}\n`);
  }

  #now(): number {
    return (this.#options.now ?? performance.now.bind(performance))();
  }
}

function total(state: PackageState): number {
  let sum = 0;
  for (const value of state.received.values()) sum += value;
  return sum;
}

function describe(state: PackageState, now: number): string {
  const received = total(state);
  return `${formatBytes(received)} / ${formatBytes(state.size)} ${formatRate(received, now - state.started)}`;
}

function formatRate(bytes: number, ms: number): string {
  if (ms <= 0) return "-";
  return `${formatBytes(Math.round((bytes * 1000) / ms))}/s`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
