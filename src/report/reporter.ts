/**
 * Structured events that core code emits. The CLI renders them on stderr;
 * tests swap in a recorder. Core code never writes to stdout or stderr.
 */
export type LogLevel = "error" | "warn" | "info" | "debug" | "trace";

export type OcxEvent =
  | { kind: "log"; level: LogLevel; message: string; ids?: Record<string, string> }
  | { kind: "download-start"; reference: string; digest: string; size: number; package?: string }
  | { kind: "download-progress"; digest: string; received: number; size: number; package?: string }
  | { kind: "download-end"; digest: string; package?: string }
  /** A package's downloads begin: `size` is the sum of its blob sizes. */
  | { kind: "package-start"; package: string; size: number }
  | { kind: "package-end"; package: string; size: number; ms: number };

export interface Reporter {
  emit(event: OcxEvent): void;
}

export const silentReporter: Reporter = { emit() {} };

/** Collects events in memory; used by tests. */
export class RecordingReporter implements Reporter {
  readonly events: OcxEvent[] = [];
  emit(event: OcxEvent): void {
    this.events.push(event);
  }
  messages(level?: LogLevel): string[] {
    return this.events
      .filter((event) => event.kind === "log" && (level === undefined || event.level === level))
      .map((event) => (event as { message: string }).message);
  }
}

export function log(
  reporter: Reporter,
  level: LogLevel,
  message: string,
  ids?: Record<string, string>,
): void {
  reporter.emit({ kind: "log", level, message, ...(ids ? { ids } : {}) });
}
