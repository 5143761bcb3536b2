import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** PEM text of a test CA and of a server certificate it issued. */
export interface TestCa {
  /** The CA certificate: what a client must trust. */
  caCert: string;
  /** The server certificate for localhost and 127.0.0.1, and its key. */
  cert: string;
  key: string;
}

/**
 * Creates a CA and a server certificate it signs for `localhost` and
 * 127.0.0.1, valid for one day, with openssl. Unlike a self-signed
 * certificate, this is the shape of a corporate CA: the server's
 * certificate is trusted only through the CA.
 */
export async function makeTestCa(name = "ocx test CA"): Promise<TestCa> {
  const directory = await mkdtemp(join(tmpdir(), "ocx-ca-"));
  const path = (file: string) => join(directory, file);
  try {
    run(["req", "-x509", "-nodes", "-days", "1", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
      "-keyout", path("ca.key"), "-out", path("ca.pem"), "-subj", `/CN=${name}`]);
    run(["req", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
      "-keyout", path("server.key"), "-out", path("server.csr"), "-subj", "/CN=localhost"]);
    await writeFile(
      path("ext"),
      "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    );
    run(["x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
      "-CAcreateserial", "-days", "1", "-out", path("server.pem"), "-extfile", path("ext")]);
    const [caCert, cert, key] = await Promise.all(
      ["ca.pem", "server.pem", "server.key"].map((file) => readFile(path(file), "utf8")),
    );
    return { caCert: caCert!, cert: cert!, key: key! };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

function run(args: string[]): void {
  const result = Bun.spawnSync(["openssl", ...args], { stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr.toString()}`);
}
