/**
 * The process's own stdout writer, saved when the CLI loads, before any
 * plugin code runs: user plugins get stdout redirected to stderr, and the
 * CLI keeps writing command output here.
 */
export const writeStdout: (text: string, done?: () => void) => boolean = process.stdout.write.bind(process.stdout) as never;

/** `process.exit` as it was before plugins loaded (they may not call it). */
export const exitProcess: (code: number) => never = process.exit.bind(process);
