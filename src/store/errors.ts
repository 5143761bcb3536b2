import { ExitCode, OcxError } from "../error/index.ts";

export const STORE_NOT_INSTALLED = "STORE_NOT_INSTALLED";
export const STORE_NOT_AVAILABLE_OFFLINE = "STORE_NOT_AVAILABLE_OFFLINE";
export const STORE_NOT_A_PACKAGE = "STORE_NOT_A_PACKAGE";
export const STORE_IO = "STORE_IO";
export const STORE_CORRUPT = "STORE_CORRUPT";

export function notAvailableOffline(identifier: string, what = "it is not in the local index"): OcxError {
  return new OcxError(STORE_NOT_AVAILABLE_OFFLINE, `cannot resolve "${identifier}" offline: ${what}`, {
    hint: "run the command once online (or `ocx index update`) before going offline",
    exitCode: ExitCode.unavailable,
  });
}

/** Wraps a file system failure, naming the path; ENOSPC and EROFS get their own hint. */
export function storeIoError(action: string, path: string, cause: unknown): OcxError {
  const code = (cause as NodeJS.ErrnoException)?.code;
  const detail =
    code === "ENOSPC"
      ? "no space left on device (ENOSPC)"
      : code === "EROFS"
        ? "read-only file system (EROFS)"
        : code === "EACCES" || code === "EPERM"
          ? `permission denied (${code})`
          : ((cause as Error)?.message ?? String(cause));
  return new OcxError(STORE_IO, `${action} "${path}" failed: ${detail}`, {
    hint:
      code === "ENOSPC"
        ? "free space on that file system or point OCX_HOME elsewhere, then retry; nothing was installed"
        : "check that OCX_HOME is writable; nothing was installed",
    cause,
    exitCode: ExitCode.ioError,
  });
}

export function isErrnoCode(error: unknown, ...codes: string[]): boolean {
  return codes.includes((error as NodeJS.ErrnoException)?.code ?? "");
}
