/**
 * Exit categories, chosen in one place. Values follow sysexits(3) where one
 * fits, so scripts can tell a usage error from a network outage.
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 64,
  dataError: 65,
  unavailable: 69,
  ioError: 74,
  temporaryFailure: 75,
  cannotExecute: 126,
  commandNotFound: 127,
  interrupted: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface OcxErrorOptions {
  hint?: string;
  cause?: unknown;
  exitCode?: ExitCode;
}

/**
 * A failure the user can cause or fix. `message` is one line: the failed
 * action first, the value quoted, the detail after a colon. `hint` says what
 * to do next. `code` is stable once released.
 */
export class OcxError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly exitCode: ExitCode;

  constructor(code: string, message: string, options: OcxErrorOptions = {}) {
    super(redactSecrets(message), { cause: options.cause });
    this.name = "OcxError";
    this.code = code;
    this.hint = options.hint === undefined ? undefined : redactSecrets(options.hint);
    this.exitCode = options.exitCode ?? ExitCode.failure;
  }

  toJSON(): { code: string; message: string; hint?: string } {
    return { code: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}) };
  }
}

export function isOcxError(value: unknown): value is OcxError {
  return value instanceof OcxError;
}

/**
 * Strips userinfo from URLs and masks bearer and basic credentials, because
 * messages end up in CI logs.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(/(\w+:\/\/)[^/@\s]+@/g, "$1***@")
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, "$1 ***");
}
