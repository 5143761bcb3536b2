/**
 * A small PowerShell reader for the code ocx prints, because pwsh cannot
 * be installed here. It follows the PowerShell language specification's
 * string rules: in a single-quoted string a doubled quote is one quote,
 * and U+2018 to U+201B count as single quotes; in a double-quoted string
 * a backtick escapes the next character. It checks that brackets balance
 * outside strings and decodes each `$env:NAME = ...` assignment.
 */
const SINGLE_QUOTES = new Set(["'", "\u2018", "\u2019", "\u201a", "\u201b"]);
const PAIRS: Record<string, string> = { "(": ")", "{": "}", "[": "]" };

export interface PwshToken {
  kind: "single" | "double" | "code";
  text: string;
}

/** Splits code into string literals and the code between them; throws on an open string. */
export function tokenizePwsh(code: string): PwshToken[] {
  const tokens: PwshToken[] = [];
  let index = 0;
  let plain = "";
  const flush = () => {
    if (plain !== "") tokens.push({ kind: "code", text: plain });
    plain = "";
  };
  while (index < code.length) {
    const char = code[index]!;
    if (SINGLE_QUOTES.has(char)) {
      flush();
      let text = "";
      index++;
      for (;;) {
        if (index >= code.length) throw new Error("unterminated single-quoted string");
        const inner = code[index]!;
        if (SINGLE_QUOTES.has(inner)) {
          if (SINGLE_QUOTES.has(code[index + 1] ?? "")) {
            text += inner;
            index += 2;
            continue;
          }
          index++;
          break;
        }
        text += inner;
        index++;
      }
      tokens.push({ kind: "single", text });
      continue;
    }
    if (char === '"') {
      flush();
      let text = "";
      index++;
      for (;;) {
        if (index >= code.length) throw new Error("unterminated double-quoted string");
        const inner = code[index]!;
        if (inner === "`") {
          text += code.slice(index, index + 2);
          index += 2;
          continue;
        }
        if (inner === '"') {
          index++;
          break;
        }
        text += inner;
        index++;
      }
      tokens.push({ kind: "double", text });
      continue;
    }
    if (char === "#") {
      while (index < code.length && code[index] !== "\n") index++;
      continue;
    }
    plain += char;
    index++;
  }
  flush();
  return tokens;
}

/** Throws unless (), {} and [] balance in the code outside strings. */
export function checkBrackets(tokens: PwshToken[]): void {
  const stack: string[] = [];
  for (const token of tokens) {
    if (token.kind !== "code") continue;
    for (const char of token.text) {
      if (PAIRS[char]) stack.push(PAIRS[char]);
      else if (char === ")" || char === "}" || char === "]") {
        if (stack.pop() !== char) throw new Error(`unbalanced "${char}"`);
      }
    }
  }
  if (stack.length > 0) throw new Error(`unclosed brackets: ${stack.join("")}`);
}

const BASE64_CALL = "[Text.Encoding]::UTF8.GetString([Convert]::FromBase64String(";

/** Decodes each `$env:NAME = VALUE` line's value, and lists removed variables. */
export function readPwshAssignments(code: string): { set: Map<string, string>; removed: string[] } {
  const set = new Map<string, string>();
  const removed: string[] = [];
  for (const line of code.split("\n")) {
    const assignment = /^\$env:([A-Za-z_][A-Za-z0-9_]*) = (.*)$/.exec(line);
    if (assignment) {
      set.set(assignment[1]!, decodeValue(assignment[2]!));
      continue;
    }
    const removal = /^Remove-Item -LiteralPath 'Env:([A-Za-z_][A-Za-z0-9_]*)' -ErrorAction SilentlyContinue$/.exec(line);
    if (removal) removed.push(removal[1]!);
    else if (line !== "" && !line.startsWith("#")) throw new Error(`unexpected line: ${line}`);
  }
  return { set, removed };
}

function decodeValue(expression: string): string {
  const tokens = tokenizePwsh(expression);
  if (tokens.length === 1 && tokens[0]!.kind === "single") return tokens[0]!.text;
  const [head, literal, tail] = tokens;
  if (tokens.length === 3 && head?.text === BASE64_CALL && literal?.kind === "single" && tail?.text === "))") {
    return Buffer.from(literal.text, "base64").toString("utf8");
  }
  throw new Error(`value is not one literal: ${expression}`);
}
