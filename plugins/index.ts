import type { OcxPlugin } from "ocx/plugin";
import mirror from "./mirror.ts";
import patchFile from "./patch-file.ts";
import patchRegistry from "./patch-registry.ts";

/** Plugins compiled into the binary, in the order their hooks run. */
export const builtinPlugins: OcxPlugin[] = [patchRegistry, patchFile, mirror];
