import type { LogLevel, OcxEvent, Reporter } from "../report/reporter.ts";
import { formatBytes, ProgressView } from "./progress-view.ts";

export { formatBytes } from "./progress-view.ts";

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 };

export interface StderrReporterOptions {
  level: LogLevel;
  isColor: boolean;
  /** Progress bars are drawn in place only on a terminal. */
  isTerminal: boolean;
  /** Progress off a terminal, as plain lines (`--progress`). */
  isProgressForced?: boolean;
  write?: (text: string) => void;
  now?: () => number;
}

/** Renders core events on stderr; stdout stays reserved for command output. */
export class StderrReporter implements Reporter {
  private readonly write: (text: string) => void;
  private readonly progress: ProgressView | undefined;

  constructor(private readonly options: StderrReporterOptions) {
    this.write = options.write ?? ((text) => process.stderr.write(text));
    // --quiet keeps errors only, so it hides progress too.
    const isShown = RANK[options.level] >= RANK.info && (options.isTerminal || options.isProgressForced === true);
    this.progress = isShown
      ? new ProgressView({
          isTerminal: options.isTerminal,
          write: this.write,
          ...(options.now ? { now: options.now } : {}),
          ...(process.stderr.columns ? { columns: process.stderr.columns } : {}),
        })
      : undefined;
  }

  emit(event: OcxEvent): void {
    switch (event.kind) {
      case "log":
        if (RANK[event.level] > RANK[this.options.level]) return;
        this.clearProgress();
        this.write(`${this.prefix(event.level)}${event.message}${this.formatIds(event.ids)}\n`);
        return;
      case "download-start":
        // One line per blob is noise for small packages; the bars cover terminals.
        if (RANK.debug <= RANK[this.options.level]) {
          this.clearProgress();
          this.write(`${this.prefix("debug")}downloading ${event.reference} (${formatBytes(event.size)})\n`);
        }
        this.progress?.handle(event);
        return;
      default:
        this.progress?.handle(event);
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
    this.progress?.clear();
  }
}
