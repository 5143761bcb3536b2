const UNSAFE_CHARACTER = /[^A-Za-z0-9._-]/g;

/**
 * Turns text into one path segment: `[A-Za-z0-9._-]` stay, every other
 * character becomes `_`, so `localhost:5000` gives `localhost_5000`. The
 * mapping is not reversible, because `a:b` and `a/b` both give `a_b`.
 */
export function slugify(text: string): string {
  return text.replace(UNSAFE_CHARACTER, "_");
}
