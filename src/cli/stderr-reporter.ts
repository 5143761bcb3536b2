import type { LogLevel, OcxEvent, Reporter } from "../report/reporter.ts";

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 };

export interface StderrReporterOptions {
  level: LogLevel;
  isColor: boolean;
  /** Progress lines are drawn only on a terminal. */
  isTerminal: boolean;
  write?: (text: string) => void;
}

/** Renders core events on stderr; stdout stays reserved for command output. */
export class StderrReporter implements Reporter {
  private readonly write: (text: string) => void;
  private progressShown = false;

  constructor(private readonly options: StderrReporterOptions) {
    this.write = options.write ?? ((text) => process.stderr.write(text));
  }

  emit(event: OcxEvent): void {
    switch (event.kind) {
      case "log":
        if (RANK[event.level] > RANK[this.options.level]) return;
        this.clearProgress();
        this.write(`${this.prefix(event.level)}${event.message}${this.formatIds(event.ids)}\n`);
        return;
      case "download-start":
        // One line per blob is noise for small packages; the progress line covers terminals.
        if (RANK.debug > RANK[this.options.level]) return;
        this.clearProgress();
        this.write(`${this.prefix("debug")}downloading ${event.reference} (${formatBytes(event.size)})\n`);
        return;
      case "download-progress":
        if (!this.options.isTerminal || RANK.info > RANK[this.options.level]) return;
        this.write(`\r\x1b[2K  ${event.digest.slice(7, 19)} ${formatBytes(event.received)} / ${formatBytes(event.size)}`);
        this.progressShown = true;
        return;
      case "download-end":
        this.clearProgress();
        return;
    }
  }

  private prefix(level: LogLevel): string {
    const label = level === "info" ? "" : `${level}: `;
    if (!this.options.isColor || label === "") return label;
    const colour = level === "error" ? 31 : level === "warn" ? 33 : 2;
    return `\x1b[${colour}m${label}\x1b[0m`;
  }

  private formatIds(ids: Record<string, string> | undefined): string {
    if (ids === undefined || RANK[this.options.level] < RANK.debug) return "";
    return ` (${Object.entries(ids).map(([key, value]) => `${key}=${value}`).join(", ")})`;
  }

  private clearProgress(): void {
    if (!this.progressShown) return;
    this.write("\r\x1b[2K");
    this.progressShown = false;
  }
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
