import { main } from "./main.ts";
import { exitProcess, writeStdout } from "./stdout.ts";

const code = await main(process.argv.slice(2));
// Exit explicitly once stdout has drained: a plugin hook that timed out may
// have left a timer running that would otherwise keep the process alive.
await new Promise<void>((resolve) => writeStdout("", () => resolve()));
exitProcess(code);
