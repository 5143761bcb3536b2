import { setDefaultTimeout } from "bun:test";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

// End-to-end tests start registries and spawn the binary; on a loaded
// two-core machine some take longer than Bun's default of 5 seconds.
setDefaultTimeout(60_000);

export const ROOT = resolve(import.meta.dir, "../..");
export const OCX_BINARY = join(ROOT, "dist", "ocx");

if (!existsSync(OCX_BINARY)) {
  throw new Error(`${OCX_BINARY} is missing: run ./scripts/build (./scripts/test does it)`);
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface FileSpec {
  content: string;
  mode?: number;
}

export interface PackageSpec {
  metadata: Record<string, unknown>;
  files?: Record<string, string | FileSpec>;
}

/**
 * A fresh OCX_HOME, HOME, system config path and working folder for one
 * test, so tests never share state or read the host's configuration.
 */
export class Sandbox {
  private constructor(readonly root: string) {}

  static async create(): Promise<Sandbox> {
    const root = await mkdtemp(join(tmpdir(), "ocx-e2e-"));
    const sandbox = new Sandbox(root);
    await mkdir(sandbox.home, { recursive: true });
    await mkdir(sandbox.userHome, { recursive: true });
    await mkdir(sandbox.cwd, { recursive: true });
    return sandbox;
  }

  get home(): string {
    return join(this.root, "ocx-home");
  }
  get userHome(): string {
    return join(this.root, "user");
  }
  get cwd(): string {
    return join(this.root, "work");
  }
  get systemConfig(): string {
    return join(this.root, "system-config.toml");
  }

  env(extra: Record<string, string | undefined> = {}): Record<string, string> {
    const env: Record<string, string | undefined> = {
      PATH: "/usr/bin:/bin",
      HOME: this.userHome,
      OCX_HOME: this.home,
      OCX_SYSTEM_CONFIG: this.systemConfig,
      DOCKER_CONFIG: join(this.root, "docker"),
      NO_COLOR: "1",
      LANG: "C.UTF-8",
      ...extra,
    };
    return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  }

  async run(args: string[], options: { env?: Record<string, string | undefined>; cwd?: string } = {}): Promise<RunResult> {
    const child = Bun.spawn([OCX_BINARY, ...args], {
      env: this.env(options.env),
      cwd: options.cwd ?? this.cwd,
      stdout: "pipe",
      stderr: "pipe",
      stdin: "ignore",
    });
    const [stdout, stderr, exitCode] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
      child.exited,
    ]);
    return { stdout, stderr, exitCode };
  }

  /** Runs ocx and fails the test with its stderr when it does not exit 0. */
  async ok(args: string[], options: { env?: Record<string, string | undefined>; cwd?: string } = {}): Promise<string> {
    const result = await this.run(args, options);
    if (result.exitCode !== 0) {
      throw new Error(`ocx ${args.join(" ")} exited ${result.exitCode}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
    }
    return result.stdout;
  }

  async writeUserConfig(toml: string): Promise<void> {
    await writeFile(join(this.home, "config.toml"), toml);
  }

  /** Writes a package folder (metadata.json plus files) and returns its path. */
  async writePackage(name: string, spec: PackageSpec): Promise<string> {
    const dir = join(this.root, "packages", name);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "metadata.json"), JSON.stringify(spec.metadata, null, 2));
    for (const [path, file] of Object.entries(spec.files ?? {})) {
      const target = join(dir, path);
      await mkdir(dirname(target), { recursive: true });
      const { content, mode } = typeof file === "string" ? { content: file, mode: 0o644 } : file;
      await writeFile(target, content);
      await chmod(target, mode ?? 0o644);
    }
    return dir;
  }

  /** Writes and pushes a package with `ocx package push`. */
  async publish(reference: string, spec: PackageSpec, extraArgs: string[] = []): Promise<string> {
    const dir = await this.writePackage(reference.replace(/[^A-Za-z0-9]+/g, "_"), spec);
    return this.ok(["package", "push", dir, reference, ...extraArgs]);
  }

  async cleanup(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}

/** A package that puts `bin/NAME` (printing `output`) on PATH. */
export function toolPackage(name: string, output: string, extra: Partial<PackageSpec> & { env?: unknown[] } = {}): PackageSpec {
  return {
    metadata: {
      type: "bundle",
      version: 1,
      env: [{ key: "PATH", type: "path", value: "${installPath}/bin" }, ...(extra.env ?? [])],
      ...(extra.metadata ?? {}),
    },
    files: { [`bin/${name}`]: { content: `#!/bin/sh\necho ${output}\n`, mode: 0o755 }, ...(extra.files ?? {}) },
  };
}

/** Runs a shell snippet in a real shell and returns its output. */
export async function runShell(shell: string, script: string, env: Record<string, string>): Promise<RunResult> {
  const child = Bun.spawn([shell, "-c", script], { env, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { stdout, stderr, exitCode };
}
