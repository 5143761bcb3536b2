import { readFile } from "node:fs/promises";
import { isIP } from "node:net";

export interface TlsCheckResult {
  url: string;
  isTrusted: boolean;
  /** The CA files used, from the composed environment; none means the built-in roots. */
  caFiles: { variable: "SSL_CERT_FILE" | "NODE_EXTRA_CA_CERTS"; file: string }[];
  /** OpenSSL's verification code, e.g. UNABLE_TO_VERIFY_LEAF_SIGNATURE, or a host-name mismatch. */
  error?: string;
  subject?: string;
  issuer?: string;
}

const TLS_TIMEOUT_MS = 10_000;

/**
 * Opens a TLS connection to `url` and verifies the server's chain against
 * the CA settings of `env`, as tools launched in that environment would:
 * SSL_CERT_FILE replaces the built-in roots (OpenSSL's rule) and
 * NODE_EXTRA_CA_CERTS adds to them (Node's rule). The handshake is all it
 * does; no HTTP request is sent.
 */
export async function checkTls(url: URL, env: Record<string, string | undefined>): Promise<TlsCheckResult> {
  const tls = await import("node:tls");
  const caFiles: TlsCheckResult["caFiles"] = [];
  if (env.SSL_CERT_FILE) caFiles.push({ variable: "SSL_CERT_FILE", file: env.SSL_CERT_FILE });
  if (env.NODE_EXTRA_CA_CERTS) caFiles.push({ variable: "NODE_EXTRA_CA_CERTS", file: env.NODE_EXTRA_CA_CERTS });
  const ca = env.SSL_CERT_FILE ? [] : [...tls.rootCertificates];
  for (const { variable, file } of caFiles) {
    try {
      ca.push(await readFile(file, "utf8"));
    } catch (error) {
      return { url: withoutUserinfo(url), isTrusted: false, caFiles, error: `cannot read ${variable} "${file}": ${(error as Error).message}` };
    }
  }

  const host = url.hostname.replace(/^\[|\]$/g, "");
  const port = Number(url.port || 443);
  return new Promise((resolve) => {
    const finish = (result: Omit<TlsCheckResult, "url" | "caFiles">) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ url: withoutUserinfo(url), caFiles, ...result });
    };
    const socket = tls.connect(
      // Verification is judged below, so the handshake completes either way and the reason can be reported.
      { host, port, ca, rejectUnauthorized: false, ...(isIP(host) ? {} : { servername: host }) },
      () => {
        const peer = socket.getPeerCertificate();
        const names = { subject: String(peer.subject?.CN ?? ""), issuer: String(peer.issuer?.CN ?? "") };
        if (!socket.authorized) return finish({ isTrusted: false, error: String(socket.authorizationError), ...names });
        const mismatch = tls.checkServerIdentity(host, peer);
        if (mismatch !== undefined) return finish({ isTrusted: false, error: mismatch.message, ...names });
        finish({ isTrusted: true, ...names });
      },
    );
    socket.on("error", (error) => finish({ isTrusted: false, error: `connection failed: ${error.message}` }));
    const timer = setTimeout(() => finish({ isTrusted: false, error: `no TLS handshake within ${TLS_TIMEOUT_MS} ms` }), TLS_TIMEOUT_MS);
  });
}

/** The URL as shown in reports: a password in it must never be printed. */
function withoutUserinfo(url: URL): string {
  const copy = new URL(url.href);
  copy.username = "";
  copy.password = "";
  return copy.href;
}
