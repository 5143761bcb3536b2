import { ExitCode, OcxError } from "../error/index.ts";
import type { RegistryTlsOptions } from "./transport.ts";

export const OCI_CA_FILE_INVALID = "OCI_CA_FILE_INVALID";

/** Paths of the system CA bundle on Debian, Fedora, Alpine and openSUSE. */
const SYSTEM_BUNDLES = [
  "/etc/ssl/certs/ca-certificates.crt",
  "/etc/pki/tls/certs/ca-bundle.crt",
  "/etc/ssl/cert.pem",
  "/etc/ssl/ca-bundle.pem",
];

export interface TrustOptions {
  /** Registry host (`host[:port]`) -> CA bundle, and the config file naming it. */
  caFiles: Record<string, { path: string; file: string }>;
  /** Read for `SSL_CERT_FILE`. */
  env: Record<string, string | undefined>;
  /** Overrides the search of SYSTEM_BUNDLES; tests point it elsewhere. */
  systemBundles?: string[];
}

/**
 * Builds the per-host TLS settings of the registry client. A host with a
 * `ca_file` trusts the system store, `SSL_CERT_FILE` and that file; since
 * Bun's `tls.ca` replaces its default roots, all three are passed. Other
 * hosts keep Bun's defaults, which honour `SSL_CERT_FILE` and
 * `NODE_EXTRA_CA_CERTS` themselves.
 */
export function createTlsTrust(
  options: TrustOptions,
): (host: string) => Promise<RegistryTlsOptions | undefined> {
  const cache = new Map<string, Promise<RegistryTlsOptions | undefined>>();
  return (host) => {
    const key = hostKey(host, options.caFiles);
    if (key === undefined) return Promise.resolve(undefined);
    let entry = cache.get(key);
    if (entry === undefined) {
      entry = loadTrust(key, options);
      cache.set(key, entry);
    }
    return entry;
  };
}

/** `corp.example` in the config also covers `corp.example:443`, and back. */
function hostKey(
  host: string,
  caFiles: TrustOptions["caFiles"],
): string | undefined {
  if (caFiles[host]) return host;
  const bare = host.replace(/:443$/, "");
  if (caFiles[bare]) return bare;
  if (caFiles[`${host}:443`]) return `${host}:443`;
  return undefined;
}

async function loadTrust(
  host: string,
  options: TrustOptions,
): Promise<RegistryTlsOptions> {
  const { path, file } = options.caFiles[host]!;
  const ca: string[] = [];
  const caSources: string[] = [];

  const system = await readFirst(options.systemBundles ?? SYSTEM_BUNDLES);
  if (system) {
    ca.push(system.text);
    caSources.push(`the system store ${system.path}`);
  }
  const sslCertFile = options.env.SSL_CERT_FILE;
  if (sslCertFile) {
    const text = await readCaFile(sslCertFile, "SSL_CERT_FILE");
    ca.push(text);
    caSources.push(`SSL_CERT_FILE ${sslCertFile}`);
  }
  ca.push(await readCaFile(path, `[registries."${host}"] ca_file in ${file}`));
  caSources.unshift(`ca_file ${path}`);
  return { ca, caSources };
}

async function readFirst(
  paths: string[],
): Promise<{ path: string; text: string } | undefined> {
  for (const path of paths) {
    const file = Bun.file(path);
    if (await file.exists()) return { path, text: await file.text() };
  }
  return undefined;
}

async function readCaFile(path: string, setting: string): Promise<string> {
  let text: string;
  try {
    text = await Bun.file(path).text();
  } catch (error) {
    throw caFileError(path, setting, "cannot be read", error);
  }
  if (!text.includes("-----BEGIN CERTIFICATE-----"))
    throw caFileError(path, setting, "holds no PEM certificate");
  return text;
}

function caFileError(
  path: string,
  setting: string,
  detail: string,
  cause?: unknown,
): OcxError {
  return new OcxError(
    OCI_CA_FILE_INVALID,
    `invalid CA file "${path}": ${detail}`,
    {
      hint: `fix the file or the setting that names it (${setting}); it must hold PEM certificates`,
      exitCode: ExitCode.dataError,
      cause,
    },
  );
}
