/**
 * Guards for code from user plugins, which runs in the ocx process.
 *
 * - Output: stdout is reserved for what a command prints (it is often
 *   `eval`ed), so once user plugins load, `console` and `process.stdout`
 *   writes from anyone but the CLI's saved writer go to stderr.
 * - Exit: `process.exit` from a plugin would end a command with a made-up
 *   status, so it throws instead.
 * - Runaway hooks: a hook stuck in a synchronous loop never lets a timer
 *   fire, so a watchdog on another thread stops the process once a hook has
 *   run past its deadline.
 */

let isIsolated = false;

/** Redirects plugin output to stderr and turns `process.exit` into an error. */
export function isolatePluginOutput(): void {
  if (isIsolated) return;
  isIsolated = true;
  const toStderr = process.stderr.write.bind(process.stderr);
  process.stdout.write = toStderr as typeof process.stdout.write;
  for (const method of ["log", "info", "debug", "trace", "dir", "table"] as const) {
    // console.error already writes to stderr.
    console[method] = console.error.bind(console) as never;
  }
  process.exit = ((code?: number) => {
    throw new Error(`a plugin called process.exit(${code ?? ""})`);
  }) as typeof process.exit;
}

// The watchdog thread: on a missed deadline it writes the message to fd 2
// itself (the main thread is stuck) and kills the whole process.
const WATCHDOG_SOURCE = `
const { writeSync } = require("node:fs");
let timer;
self.onmessage = (event) => {
  clearTimeout(timer);
  const { deadlineMs, message } = event.data;
  if (deadlineMs === undefined) return;
  timer = setTimeout(() => {
    writeSync(2, message);
    process.kill(process.pid, "SIGKILL");
  }, deadlineMs);
};
`;

let watchdog: Worker | undefined;

/** Arms the watchdog for one hook call; the returned function disarms it. */
export function armWatchdog(deadlineMs: number, message: string): () => void {
  watchdog ??= startWatchdog();
  watchdog.postMessage({ deadlineMs, message });
  return () => watchdog?.postMessage({});
}

function startWatchdog(): Worker {
  const url = URL.createObjectURL(new Blob([WATCHDOG_SOURCE], { type: "application/javascript" }));
  const worker = new Worker(url);
  // The watchdog must never keep ocx alive after the command is done.
  worker.unref();
  return worker;
}
