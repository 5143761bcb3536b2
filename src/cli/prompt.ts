/**
 * Reads one line typed at the terminal, written after `question` on
 * stderr. With `isHidden`, echo is off while the user types (stty), so a
 * password never shows on screen or in a terminal recording.
 */
export async function promptLine(question: string, options: { isHidden?: boolean } = {}): Promise<string> {
  const stty = (mode: string) => Bun.spawnSync(["stty", mode], { stdin: "inherit", stdout: "ignore", stderr: "ignore" });
  // Echo goes off before the prompt shows, so nothing typed after it echoes.
  if (options.isHidden) stty("-echo");
  process.stderr.write(question);
  try {
    for await (const line of console) return line;
    return "";
  } finally {
    if (options.isHidden) {
      stty("echo");
      process.stderr.write("\n");
    }
  }
}

/** Reads the password piped to stdin, without the newline `echo` adds. */
export async function readPasswordFromStdin(): Promise<string> {
  const text = await Bun.stdin.text();
  return text.replace(/\r?\n$/, "");
}
