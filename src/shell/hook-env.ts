import { realpathSync } from "node:fs";
import { resolveHome } from "../config/home.ts";
import { isOcxError, type OcxError } from "../error/index.ts";
import { identifierOf } from "../oci/reference.ts";
import { composeProjectEnv } from "../resolve/project-env.ts";
import type { Session } from "../resolve/session.ts";
import {
  buildState,
  diffScript,
  readState,
  revertState,
  type ActivationState,
} from "./activation-state.ts";
import { CHECKED_VARIABLES, renderFreshCheck, type FreshCheck } from "./hook.ts";
import { renderEnv, type ShellName } from "./render.ts";
import type { ShellScript } from "./script.ts";
import { watchedPaths, writeStamp } from "./watch.ts";

type Env = Record<string, string | undefined>;

export interface HookEnvOptions {
  shell: ShellName;
  env: Env;
  /** The `ocx.toml` the shell found walking up from its PWD; undefined for none. */
  projectFile: string | undefined;
  /** The ocx executable, watched so an upgrade refreshes the environment. */
  binary: string;
  openSession(options: { projectFile: string | null }): Promise<Session>;
}

export interface HookEnvResult {
  /** Shell code: the variable changes, then the new fresh-check function. */
  code: string;
  /** Set when the project could not be applied; the shell is then left deactivated. */
  error: OcxError | undefined;
  state: ActivationState | undefined;
}

/**
 * Computes what the prompt hook evaluates: undo the previous activation,
 * apply the project's composed environment (installing missing tools
 * unless offline), and record what to compare before the next prompt.
 * An expected failure leaves the shell deactivated rather than stale.
 */
export async function runHookEnv(options: HookEnvOptions): Promise<HookEnvResult> {
  const { env, projectFile } = options;
  const previous = readState(env);
  const base = revertState(env, previous);
  let target: Env = base;
  let next: ActivationState | undefined;
  let error: OcxError | undefined;
  let home: string | undefined;
  let pluginFiles: string[] = [];

  try {
    home = resolveHome(env);
    if (projectFile !== undefined) {
      // Trust is recorded by physical path, as `ocx trust` finds the file.
      const session = await options.openSession({ projectFile: physicalPath(projectFile) });
      pluginFiles = session.config.pluginPaths;
      const project = session.config.project;
      if (project !== undefined) {
        const composed = await composeProjectEnv(session, { project, base });
        target = composed.result.env;
        next = buildState({
          base,
          target: composed.result.env,
          separators: composed.separators,
          project: project.file,
          tools: project.tools.map((tool) => `${tool.name}=${identifierOf(tool.reference)}`),
          watch: { stamp: null, files: [] },
        });
      }
    }
  } catch (caught) {
    if (!isOcxError(caught)) throw caught;
    error = caught;
    target = base;
    next = undefined;
  }

  // Read after any install, so the stamp covers what this run changed itself.
  const files = home === undefined ? [] : watchedPaths({ home, env, projectFile, binary: options.binary, pluginFiles });
  const watch = home === undefined ? { stamp: null, files } : writeStamp({ home, files });
  if (next !== undefined) next.watch = watch;
  const script: ShellScript = diffScript(env, { target, previous, next });
  const check: FreshCheck = {
    project: projectFile ?? "",
    variables: CHECKED_VARIABLES.map((name) => [name, env[name] ?? ""]),
    stamp: watch.stamp,
    files: watch.files,
  };
  const code = renderEnv(options.shell, script) + renderFreshCheck(options.shell, check);
  return { code, error, state: next };
}

function physicalPath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}
