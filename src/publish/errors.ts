import { readFile } from "node:fs/promises";
import { ExitCode, OcxError } from "../error/index.ts";

export const PUBLISH_INPUT_INVALID = "PUBLISH_INPUT_INVALID";

/**
 * Reads a JSON input file of a publish command, returning its exact bytes
 * (they are pushed unchanged) and the parsed value for validation.
 */
export async function readJsonInput(
  file: string,
  options: { what: string; missingHint: string },
): Promise<{ bytes: Uint8Array; json: unknown }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new OcxError(PUBLISH_INPUT_INVALID, `cannot read ${options.what} "${file}": ${(error as Error).message}`, {
      hint: options.missingHint,
      exitCode: ExitCode.usage,
    });
  }
  try {
    return { bytes, json: JSON.parse(new TextDecoder().decode(bytes)) };
  } catch (error) {
    throw new OcxError(PUBLISH_INPUT_INVALID, `invalid JSON in ${options.what} "${file}": ${(error as Error).message}`, {
      hint: `fix the JSON syntax of ${file}`,
      exitCode: ExitCode.dataError,
    });
  }
}
