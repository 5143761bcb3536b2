import { identifierOf, type Reference } from "../oci/reference.ts";

/**
 * Compiles a glob into a matcher for the whole text. `*` spans any run of
 * characters, including `/` and `:`, so `corp.example/*` covers nested
 * repositories and every tag. `?` is one character. `[...]` is a set with
 * ranges (`[0-9]`), negated by a leading `!` or `^`; a `]` right after the
 * opening bracket is a member. An unclosed `[` matches itself. There is no
 * escape character, because no tag or identifier can contain `*`, `?` or `[`.
 */
export function compileGlob(pattern: string): (text: string) => boolean {
  const expression = new RegExp(`^${translatePattern(pattern)}$`, "su");
  return (text) => expression.test(text);
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

function translatePattern(pattern: string): string {
  const characters = Array.from(pattern);
  let source = "";
  let index = 0;
  while (index < characters.length) {
    const character = characters[index] as string;
    if (character === "*") {
      source += ".*";
    } else if (character === "?") {
      source += ".";
    } else if (character === "[") {
      const set = translateSet(characters, index);
      if (set !== undefined) {
        source += set.source;
        index = set.end + 1;
        continue;
      }
      source += escapeCharacter(character);
    } else {
      source += escapeCharacter(character);
    }
    index += 1;
  }
  return source;
}

/** Translates the set opening at `start`, or returns undefined when it never closes. */
function translateSet(
  characters: string[],
  start: number,
): { source: string; end: number } | undefined {
  let index = start + 1;
  const isNegated = characters[index] === "!" || characters[index] === "^";
  if (isNegated) index += 1;

  const members: string[] = [];
  let isFirst = true;
  while (index < characters.length) {
    const character = characters[index] as string;
    if (character === "]" && !isFirst) {
      const body = members.join("");
      // Only reversed ranges leave the set empty. In JavaScript `[]` matches
      // no character and `[^]` matches any one.
      if (body === "") return { source: isNegated ? "[^]" : "[]", end: index };
      return { source: `[${isNegated ? "^" : ""}${body}]`, end: index };
    }
    isFirst = false;

    const rangeEnd = characters[index + 2];
    if (characters[index + 1] === "-" && rangeEnd !== undefined && rangeEnd !== "]") {
      // A reversed range such as `[z-a]` contains nothing.
      if (character <= rangeEnd) {
        members.push(`${escapeCharacter(character)}-${escapeCharacter(rangeEnd)}`);
      }
      index += 3;
      continue;
    }
    members.push(escapeCharacter(character));
    index += 1;
  }
  return undefined;
}

function escapeCharacter(character: string): string {
  return `\\u{${(character.codePointAt(0) as number).toString(16)}}`;
}
