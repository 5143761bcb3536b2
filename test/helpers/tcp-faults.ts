import { createConnection, createServer, type Socket } from "node:net";

export interface ResettingProxy {
  /** `127.0.0.1:PORT`. */
  host: string;
  /** Connections accepted so far, reset or forwarded. */
  connections: () => number;
  stop(): Promise<void>;
}

/**
 * A TCP proxy on a free loopback port that resets its first `resets`
 * connections as soon as the request arrives and forwards the rest to
 * `target` (`host:port`). Bun.serve cannot drop a connection mid-request,
 * so resets need a raw socket.
 */
export async function startResettingProxy(
  target: string,
  options: { resets: number },
): Promise<ResettingProxy> {
  const [targetHost, targetPort] = target.split(":");
  let count = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    count++;
    if (count <= options.resets) {
      client.once("data", () => client.resetAndDestroy());
      return;
    }
    const upstream = createConnection(Number(targetPort), targetHost);
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    client.pipe(upstream).pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve()),
  );
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    host: `127.0.0.1:${port}`,
    connections: () => count,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
