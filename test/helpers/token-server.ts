import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RecordedRequest } from "./fault-registry.ts";

export interface TokenServer {
  /** The `auth.token` lines of a docker-registry config. */
  registryConfig: string;
  realm: string;
  service: string;
  requests: RecordedRequest[];
  stop(): Promise<void>;
}

const SERVICE = "ocx-test-registry";
const ISSUER = "ocx-test-token-issuer";

/**
 * Starts a bearer token server on loopback for docker-registry's `auth.token`:
 * checks Basic credentials against `users`, and signs an ES256 JWT that
 * grants the requested repository actions (none to anonymous callers).
 * The signing certificate rides in the `x5c` header and is the registry's
 * `rootcertbundle`, so the registry verifies tokens with no shared state.
 */
export async function startTokenServer(users: Record<string, string>): Promise<TokenServer> {
  const directory = await mkdtemp(join(tmpdir(), "ocx-token-"));
  const keyPath = join(directory, "key.pem");
  const certPath = join(directory, "cert.pem");
  const result = Bun.spawnSync(
    ["openssl", "req", "-x509", "-nodes", "-days", "1", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
      "-keyout", keyPath, "-out", certPath, "-subj", "/CN=ocx test token signer"],
    { stderr: "pipe" },
  );
  if (result.exitCode !== 0) throw new Error(`openssl failed: ${result.stderr.toString()}`);
  const key = await crypto.subtle.importKey(
    "pkcs8",
    pemBody(await readFile(keyPath, "utf8")),
    { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["sign"],
  );
  const certificate = Buffer.from(pemBody(await readFile(certPath, "utf8"))).toString("base64");

  const requests: RecordedRequest[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const url = new URL(request.url);
      requests.push({ method: request.method, path: url.pathname, query: url.searchParams, headers: request.headers });
      const user = authenticate(request.headers.get("authorization"), users);
      if (user === null) return new Response("bad credentials", { status: 401 });
      const access = user === undefined ? [] : url.searchParams.getAll("scope").flatMap(parseScope);
      const token = await signToken(key, certificate, { sub: user ?? "", aud: url.searchParams.get("service") ?? "", access });
      return Response.json({ token, expires_in: 300 });
    },
  });
  const realm = `http://127.0.0.1:${server.port}/token`;
  return {
    registryConfig: ["auth:", "  token:", `    realm: ${realm}`, `    service: ${SERVICE}`, `    issuer: ${ISSUER}`, `    rootcertbundle: ${certPath}`].join("\n"),
    realm,
    service: SERVICE,
    requests,
    stop: async () => {
      server.stop(true);
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Returns the user name, undefined for anonymous, or null for wrong credentials. */
function authenticate(header: string | null, users: Record<string, string>): string | undefined | null {
  if (header === null) return undefined;
  const match = /^Basic (.+)$/.exec(header);
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const user = decoded.slice(0, colon);
  return users[user] !== undefined && users[user] === decoded.slice(colon + 1) ? user : null;
}

function parseScope(scope: string): { type: string; name: string; actions: string[] }[] {
  const [type, ...rest] = scope.split(":");
  const actions = rest.pop() ?? "";
  return type === "repository" ? [{ type, name: rest.join(":"), actions: actions.split(",") }] : [];
}

async function signToken(
  key: CryptoKey,
  certificate: string,
  claims: { sub: string; aud: string; access: unknown[] },
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const header = { typ: "JWT", alg: "ES256", x5c: [certificate] };
  const payload = { iss: ISSUER, iat: now, nbf: now - 10, exp: now + 300, jti: crypto.randomUUID(), ...claims };
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  // WebCrypto returns the raw r||s form that JWS ES256 expects.
  const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key, new TextEncoder().encode(input));
  return `${input}.${base64url(new Uint8Array(signature))}`;
}

function base64url(data: string | Uint8Array): string {
  return Buffer.from(data).toString("base64url");
}

function pemBody(pem: string): Uint8Array<ArrayBuffer> {
  const base64 = pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  return new Uint8Array(Buffer.from(base64, "base64"));
}
