import type { ParseResult } from "./reference.ts";

/** One challenge of a `WWW-Authenticate` header (RFC 9110, section 11.6.1). */
export interface AuthChallenge {
  /** Scheme name, lowercased because `Bearer` and `bearer` are the same. */
  scheme: string;
  /** Parameters by lowercased name, values unquoted and unescaped. */
  params: Record<string, string>;
  /** The opaque value of a challenge such as `Negotiate abc==`. */
  token68?: string;
}

const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/**
 * Parses a `WWW-Authenticate` value into its challenges. Values are read as
 * quoted strings or tokens, never split on commas, so a scope such as
 * `repository:team/tool:pull,push` stays whole.
 */
export function parseWwwAuthenticate(
  header: string,
): ParseResult<AuthChallenge[]> {
  const scanner = new Scanner(header);
  const challenges: AuthChallenge[] = [];

  scanner.skip(/[\s,]/);
  while (!scanner.atEnd()) {
    const scheme = scanner.token();
    if (scheme === "")
      return {
        ok: false,
        reason: `unexpected "${scanner.peek()}" at offset ${scanner.position}`,
      };
    const challenge: AuthChallenge = {
      scheme: scheme.toLowerCase(),
      params: {},
    };
    challenges.push(challenge);
    scanner.skip(/[ \t]/);

    while (!scanner.atEnd() && isParamAhead(scanner)) {
      const name = scanner.token().toLowerCase();
      scanner.skip(/[ \t]/);
      scanner.expect("=");
      scanner.skip(/[ \t]/);
      const value =
        scanner.peek() === '"' ? scanner.quoted() : scanner.token68();
      if (value === undefined)
        return { ok: false, reason: `unterminated quoted value for "${name}"` };
      challenge.params[name] = value;
      scanner.skip(/[\s,]/);
    }
    if (
      !scanner.atEnd() &&
      Object.keys(challenge.params).length === 0 &&
      !isParamAhead(scanner)
    ) {
      // A token68 challenge such as `Negotiate abc==` has one opaque value.
      const value = scanner.token68();
      if (value !== "") challenge.token68 = value;
      scanner.skip(/[\s,]/);
    }
  }
  return { ok: true, value: challenges };
}

/**
 * Reports whether a parameter (`token BWS "=" BWS value`) follows, rather
 * than the next challenge or a token68 such as `abc==`, whose `=` padding
 * is followed by another `=`, a comma or the end.
 */
function isParamAhead(scanner: Scanner): boolean {
  const saved = scanner.position;
  const name = scanner.token();
  scanner.skip(/[ \t]/);
  let isParam = name !== "" && scanner.peek() === "=";
  if (isParam) {
    scanner.position++;
    scanner.skip(/[ \t]/);
    isParam = !["", ",", "="].includes(scanner.peek());
  }
  scanner.position = saved;
  return isParam;
}

class Scanner {
  position = 0;
  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.position >= this.text.length;
  }
  peek(): string {
    return this.text[this.position] ?? "";
  }
  skip(pattern: RegExp): void {
    while (!this.atEnd() && pattern.test(this.peek())) this.position++;
  }
  expect(char: string): void {
    if (this.peek() === char) this.position++;
  }
  token(): string {
    const start = this.position;
    while (!this.atEnd() && TOKEN_CHAR.test(this.peek())) this.position++;
    return this.text.slice(start, this.position);
  }
  /** token68 allows `/` and trailing `=` padding besides token characters. */
  token68(): string {
    const start = this.position;
    while (!this.atEnd() && /[^\s,"]/.test(this.peek())) this.position++;
    return this.text.slice(start, this.position);
  }
  quoted(): string | undefined {
    this.position++;
    let value = "";
    while (!this.atEnd()) {
      const char = this.peek();
      this.position++;
      if (char === '"') return value;
      if (char === "\\" && !this.atEnd()) {
        value += this.peek();
        this.position++;
      } else {
        value += char;
      }
    }
    return undefined;
  }
}
