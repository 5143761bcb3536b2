import * as v from "valibot";
import { isOcxError } from "../error/index.ts";
import type { ComposeResult } from "../env/types.ts";
import { applyTransform } from "../env/transform.ts";
import type { EdgeSpec, GraphNodeInfo, OcxPlugin, PackageInfo, PluginContext } from "./api.ts";
import { PLUGIN_HOOK_TIMEOUT, pluginHookFailed, pluginHookTimeout, pluginResultInvalid } from "./errors.ts";
import { armWatchdog } from "./isolation.ts";

/** A plugin and where it came from: `builtin`, or the file it was loaded from. */
export interface LoadedPlugin {
  plugin: OcxPlugin;
  origin: string;
}

export interface PluginCompanion {
  reference: string;
  required: boolean;
  rule: string | undefined;
  /** `plugin/patch source`, for messages. */
  source: string;
}

const WATCHDOG_GRACE_MS = 2000;

function stuckMessage(plugin: string, hook: string, timeoutMs: number): string {
  return `error[${PLUGIN_HOOK_TIMEOUT}]: plugin "${plugin}" is stuck in ${hook} (running for more than ${timeoutMs + WATCHDOG_GRACE_MS} ms without yielding); ocx was stopped\n  hint: fix or remove the plugin "${plugin}"\n`;
}

const CompanionsSchema = v.optional(
  v.array(
    v.union([
      v.string(),
      v.object({ reference: v.string(), required: v.optional(v.boolean()), rule: v.optional(v.string()) }),
    ]),
  ),
);
const EdgesSchema = v.optional(v.array(v.object({ before: v.string(), after: v.string() })));
const EnvChangesSchema = v.optional(v.record(v.string(), v.optional(v.string())));
const RewriteSchema = v.optional(v.union([v.string(), v.array(v.string())]));
const HeadersSchema = v.optional(v.record(v.string(), v.string()));

/**
 * Runs plugin hooks in plugin order. Each call is bounded by a timeout, its
 * result is validated, and any failure names the plugin and the hook.
 */
export class PluginHost {
  // Only code from outside the binary needs the watchdog.
  private readonly userPlugins: Set<OcxPlugin>;

  constructor(
    readonly plugins: LoadedPlugin[],
    private readonly options: { context: PluginContext; timeoutMs: number },
  ) {
    this.userPlugins = new Set(plugins.filter((loaded) => loaded.origin !== "builtin").map((loaded) => loaded.plugin));
  }

  async companionsFor(pkg: PackageInfo): Promise<PluginCompanion[]> {
    const found: PluginCompanion[] = [];
    for (const { plugin } of this.plugins) {
      for (const source of plugin.patchSources ?? []) {
        const hook = `patchSources["${source.name}"].companions`;
        const result = await this.call(plugin, hook, CompanionsSchema, () => source.companions(pkg, this.options.context));
        for (const entry of result ?? []) {
          const spec = typeof entry === "string" ? { reference: entry } : entry;
          found.push({
            reference: spec.reference,
            required: spec.required ?? true,
            rule: spec.rule,
            source: `${plugin.name}/${source.name}`,
          });
        }
      }
    }
    return found;
  }

  async edges(nodes: GraphNodeInfo[]): Promise<(EdgeSpec & { plugin: string })[]> {
    const found: (EdgeSpec & { plugin: string })[] = [];
    for (const { plugin } of this.plugins) {
      if (!plugin.edges) continue;
      const edges = plugin.edges.bind(plugin);
      const result = await this.call(plugin, "edges", EdgesSchema, () => edges(nodes, this.options.context));
      for (const edge of result ?? []) found.push({ ...edge, plugin: plugin.name });
    }
    return found;
  }

  async transformEnv(result: ComposeResult): Promise<ComposeResult> {
    let current = result;
    for (const { plugin } of this.plugins) {
      if (!plugin.transformEnv) continue;
      const transform = plugin.transformEnv.bind(plugin);
      const snapshot = Object.freeze({ ...current.env });
      const changes = await this.call(plugin, "transformEnv", EnvChangesSchema, () => transform(snapshot, this.options.context));
      if (changes) current = applyTransform(current, plugin.name, changes);
    }
    return current;
  }

  /** References to try in order for a pull: every plugin's rewrites, then the original. */
  async referenceCandidates(reference: string): Promise<string[]> {
    const candidates: string[] = [];
    for (const { plugin } of this.plugins) {
      if (!plugin.rewriteReference) continue;
      const rewrite = plugin.rewriteReference.bind(plugin);
      const result = await this.call(plugin, "rewriteReference", RewriteSchema, () => rewrite(reference, this.options.context));
      for (const candidate of result === undefined ? [] : [result].flat()) {
        if (!candidates.includes(candidate)) candidates.push(candidate);
      }
    }
    if (!candidates.includes(reference)) candidates.push(reference);
    return candidates;
  }

  async requestHeaders(host: string): Promise<Record<string, string> | undefined> {
    let headers: Record<string, string> | undefined;
    for (const { plugin } of this.plugins) {
      if (!plugin.requestHeaders) continue;
      const hook = plugin.requestHeaders.bind(plugin);
      const result = await this.call(plugin, "requestHeaders", HeadersSchema, () => hook(host, this.options.context));
      if (result) headers = { ...headers, ...result };
    }
    return headers;
  }

  private async call<T extends v.GenericSchema>(
    plugin: OcxPlugin,
    hook: string,
    schema: T,
    run: () => unknown,
  ): Promise<v.InferOutput<T>> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(pluginHookTimeout(plugin.name, hook, this.options.timeoutMs)), this.options.timeoutMs);
    });
    // A hook stuck in a synchronous loop never lets the timer above fire;
    // the watchdog thread stops the process a little later instead.
    const disarm = this.userPlugins.has(plugin)
      ? armWatchdog(this.options.timeoutMs + WATCHDOG_GRACE_MS, stuckMessage(plugin.name, hook, this.options.timeoutMs))
      : undefined;
    let value: unknown;
    try {
      value = await Promise.race([Promise.resolve().then(run), timeout]);
    } catch (error) {
      // Typed errors (from built-in plugins, or the timeout) already name what failed.
      if (isOcxError(error)) throw error;
      throw pluginHookFailed(plugin.name, hook, error);
    } finally {
      clearTimeout(timer);
      disarm?.();
    }
    const parsed = v.safeParse(schema, value);
    if (!parsed.success) {
      const issue = parsed.issues[0];
      const path = v.getDotPath(issue);
      throw pluginResultInvalid(plugin.name, hook, `${path ? `${path}: ` : ""}${issue.message}`);
    }
    return parsed.output;
  }
}
