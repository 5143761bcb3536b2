import { identifierOf, type Reference } from "../oci/reference.ts";

/** One pattern element: `*`, or a test for exactly one character. */
type GlobToken = { kind: "star" } | { kind: "one"; matches: (character: string) => boolean };

/**
 * Compiles a glob into a matcher for the whole text. `*` spans any run of
 * characters, including `/` and `:`, so `corp.example/*` covers nested
 * repositories and every tag. `?` is one character. `[...]` is a set with
 * ranges (`[0-9]`), negated by a leading `!` or `^`. A `]` right after the
 * opening bracket is a member, and an unclosed `[` matches itself. There is
 * no escape character, because no tag or identifier can contain `*`, `?` or
 * `[`. Matching takes at most pattern length times text length steps, so a
 * descriptor with many stars cannot stall it the way a backtracking regular
 * expression could.
 */
export function compileGlob(pattern: string): (text: string) => boolean {
  const tokens = tokenize(Array.from(pattern));
  return (text) => matchTokens(tokens, Array.from(text));
}

/**
 * Describes what makes a pattern surely wrong (an unclosed `[`, a reversed
 * range), or returns undefined. The matcher accepts both, but a descriptor
 * author who wrote them meant something else.
 */
export function findGlobProblem(pattern: string): string | undefined {
  const characters = Array.from(pattern);
  for (let index = 0; index < characters.length; index++) {
    if (characters[index] !== "[") continue;
    let cursor = index + 1;
    if (characters[cursor] === "!" || characters[cursor] === "^") cursor++;
    const start = cursor;
    while (cursor < characters.length && (characters[cursor] !== "]" || cursor === start)) {
      const low = characters[cursor] as string;
      const high = characters[cursor + 2];
      if (characters[cursor + 1] === "-" && high !== undefined && high !== "]" && low > high) {
        return `the range "${low}-${high}" is reversed and matches nothing`;
      }
      cursor++;
    }
    if (cursor >= characters.length) return `the "[" at position ${index + 1} is never closed`;
    index = cursor;
  }
  return undefined;
}

/**
 * Tests a patch rule pattern against a reference. A pattern with no `/` and
 * no `:` is a glob over the tag; any other pattern is a glob over the
 * identifier `registry/repository:tag`. A reference pinned only by digest has
 * no tag, so tag globs (even `*`) never match it, and its identifier reads
 * `registry/repository@sha256:...`.
 */
export function ruleMatches(pattern: string, reference: Reference): boolean {
  const isTagPattern = !pattern.includes("/") && !pattern.includes(":");
  if (isTagPattern) {
    return reference.tag !== undefined && compileGlob(pattern)(reference.tag);
  }
  return compileGlob(pattern)(identifierOf(reference));
}

function tokenize(characters: string[]): GlobToken[] {
  const tokens: GlobToken[] = [];
  let index = 0;
  while (index < characters.length) {
    const character = characters[index] as string;
    if (character === "*") {
      if (tokens.at(-1)?.kind !== "star") tokens.push({ kind: "star" });
    } else if (character === "?") {
      tokens.push({ kind: "one", matches: () => true });
    } else if (character === "[") {
      const set = parseSet(characters, index);
      if (set !== undefined) {
        tokens.push({ kind: "one", matches: set.matches });
        index = set.end + 1;
        continue;
      }
      tokens.push({ kind: "one", matches: (other) => other === character });
    } else {
      tokens.push({ kind: "one", matches: (other) => other === character });
    }
    index += 1;
  }
  return tokens;
}

/** Parses the set opening at `start`, or returns undefined when it never closes. */
function parseSet(
  characters: string[],
  start: number,
): { matches: (character: string) => boolean; end: number } | undefined {
  let index = start + 1;
  const isNegated = characters[index] === "!" || characters[index] === "^";
  if (isNegated) index += 1;

  const ranges: [string, string][] = [];
  let isFirst = true;
  while (index < characters.length) {
    const character = characters[index] as string;
    if (character === "]" && !isFirst) {
      const matches = (other: string) =>
        isNegated !== ranges.some(([low, high]) => low <= other && other <= high);
      return { matches, end: index };
    }
    isFirst = false;

    const rangeEnd = characters[index + 2];
    if (characters[index + 1] === "-" && rangeEnd !== undefined && rangeEnd !== "]") {
      // A reversed range such as `[z-a]` contains nothing, because no
      // character is both at least `z` and at most `a`.
      ranges.push([character, rangeEnd]);
      index += 3;
      continue;
    }
    ranges.push([character, character]);
    index += 1;
  }
  return undefined;
}

/**
 * Matches with one saved backtrack point: on a mismatch after a star, the
 * star takes one more character and matching resumes from there. A later
 * star replaces the saved point, because any match found through the
 * earlier one can also be found through it.
 */
function matchTokens(tokens: GlobToken[], text: string[]): boolean {
  let tokenIndex = 0;
  let textIndex = 0;
  let starToken = -1;
  let starText = 0;

  while (textIndex < text.length) {
    const token = tokens[tokenIndex];
    if (token?.kind === "one" && token.matches(text[textIndex] as string)) {
      tokenIndex += 1;
      textIndex += 1;
    } else if (token?.kind === "star") {
      starToken = tokenIndex;
      starText = textIndex;
      tokenIndex += 1;
    } else if (starToken !== -1) {
      starText += 1;
      tokenIndex = starToken + 1;
      textIndex = starText;
    } else {
      return false;
    }
  }
  return tokens.slice(tokenIndex).every((token) => token.kind === "star");
}
