import { startFaultRegistry, type FaultRegistry } from "./fault-registry.ts";

/**
 * A loopback proxy in front of a real registry that can hold a blob's body
 * part-way: it sends the first `pauseAt` bytes, then waits until the test
 * calls `release()`. Tests await `paused` instead of sleeping, so a process
 * can be killed at an exact byte offset of its download.
 */
export interface GatedProxy extends FaultRegistry {
  /** Counts GETs per path, e.g. to show a blob was downloaded once. */
  gets(pathPart: string): number;
  /** Holds the next body of a blob whose path contains `pathPart` at `offset` bytes. */
  hold(pathPart: string, offset: number): { paused: Promise<void>; release: () => void };
  /** From now on, accept connections and never answer, like a black-holed host. */
  hang(): void;
}

export function startGatedProxy(upstream: string): GatedProxy {
  let gate: { pathPart: string; offset: number; paused: () => void; released: Promise<void> } | undefined;
  let isHanging = false;
  const proxy = startFaultRegistry(async (request, url) => {
    if (isHanging) return new Promise<Response>(() => {});
    const response = await fetch(`${upstream}${url.pathname}${url.search}`, {
      method: request.method,
      headers: request.headers,
      body: request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer(),
      redirect: "manual",
    });
    const active = gate;
    if (active === undefined || request.method !== "GET" || !url.pathname.includes(active.pathPart) || response.body === null) {
      return response;
    }
    gate = undefined;
    return new Response(holdBody(response.body, active), { status: response.status, headers: response.headers });
  });
  return {
    ...proxy,
    gets: (pathPart) => proxy.requests.filter((item) => item.method === "GET" && item.path.includes(pathPart)).length,
    hang() {
      isHanging = true;
    },
    hold(pathPart, offset) {
      const { promise: paused, resolve: onPaused } = Promise.withResolvers<void>();
      const { promise: released, resolve: release } = Promise.withResolvers<void>();
      gate = { pathPart, offset, paused: onPaused, released };
      return { paused, release };
    },
  };
}

function holdBody(
  body: ReadableStream<Uint8Array>,
  gate: { offset: number; paused: () => void; released: Promise<void> },
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let sent = 0;
  let hasPaused = false;
  let pending: Uint8Array | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!hasPaused && sent >= gate.offset) {
        hasPaused = true;
        gate.paused();
        await gate.released;
      }
      let chunk = pending;
      pending = undefined;
      if (chunk === undefined) {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          return;
        }
        chunk = value;
      }
      // A chunk crossing the offset is split, so the pause lands exactly there.
      const room = gate.offset - sent;
      if (!hasPaused && chunk.byteLength > room) {
        pending = chunk.subarray(room);
        chunk = chunk.subarray(0, room);
      }
      sent += chunk.byteLength;
      controller.enqueue(chunk);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
