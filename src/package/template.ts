/**
 * Tokens in metadata `env` values. `${installPath}` is this package's content
 * directory, `${deps.NAME.installPath}` that of the dependency declared with
 * `name: NAME`, and `$${` writes a literal `${`. Every other `${...}` is an
 * error, so a typo never reaches a user's environment as literal text.
 */

export type TemplateSegment =
  | { kind: "text"; text: string }
  | { kind: "installPath" }
  | { kind: "depInstallPath"; name: string };

export type TemplateParseResult =
  | { ok: true; segments: TemplateSegment[] }
  | { ok: false; reason: string };

export interface TemplateContext {
  installPath: string;
  /** Install path of each dependency, keyed by the `name` its metadata declares. */
  deps: Record<string, string>;
}

/** Matches the `name` a dependency may declare. `.` is excluded so the token stays unambiguous. */
export const DEPENDENCY_NAME_PATTERN = /^[A-Za-z0-9_-]+$/;

const DEP_TOKEN = /^deps\.([A-Za-z0-9_-]+)\.installPath$/;

/** Checks that `value` uses only known tokens and lists the dependency names it references. */
export function checkTemplate(
  value: string,
): { ok: true; depNames: string[] } | { ok: false; reason: string } {
  const parsed = parseTemplate(value);
  if (!parsed.ok) return parsed;

  const depNames: string[] = [];
  for (const segment of parsed.segments) {
    if (segment.kind === "depInstallPath" && !depNames.includes(segment.name)) {
      depNames.push(segment.name);
    }
  }
  return { ok: true, depNames };
}

/**
 * Replaces the tokens in `value` with paths from `context`. Metadata is
 * validated when it is parsed, so an invalid template or a missing dependency
 * here is a bug in the caller and throws a plain Error.
 */
export function expandTemplate(value: string, context: TemplateContext): string {
  const parsed = parseTemplate(value);
  if (!parsed.ok) {
    throw new Error(`Cannot expand unchecked template "${value}": ${parsed.reason}`);
  }

  let result = "";
  for (const segment of parsed.segments) {
    if (segment.kind === "text") {
      result += segment.text;
    } else if (segment.kind === "installPath") {
      result += context.installPath;
    } else {
      const depPath = context.deps[segment.name];
      if (depPath === undefined) {
        throw new Error(`Cannot expand "${value}": no install path for dependency "${segment.name}"`);
      }
      result += depPath;
    }
  }
  return result;
}

/** Splits `value` into literal text and tokens, or returns why it is invalid. */
export function parseTemplate(value: string): TemplateParseResult {
  const segments: TemplateSegment[] = [];
  let text = "";
  let index = 0;

  while (index < value.length) {
    if (value.startsWith("$${", index)) {
      text += "${";
      index += 3;
      continue;
    }
    if (!value.startsWith("${", index)) {
      text += value[index];
      index += 1;
      continue;
    }

    const end = value.indexOf("}", index + 2);
    if (end === -1) {
      return { ok: false, reason: `unterminated token starting at "${value.slice(index)}"` };
    }
    const token = parseToken(value.slice(index + 2, end));
    if (token === undefined) {
      return {
        ok: false,
        reason: `unknown token "${value.slice(index, end + 1)}": expected \${installPath} or \${deps.NAME.installPath}, or $\${ for a literal \${`,
      };
    }
    if (text !== "") segments.push({ kind: "text", text });
    text = "";
    segments.push(token);
    index = end + 1;
  }

  if (text !== "") segments.push({ kind: "text", text });
  return { ok: true, segments };
}

function parseToken(body: string): TemplateSegment | undefined {
  if (body === "installPath") return { kind: "installPath" };
  const match = DEP_TOKEN.exec(body);
  if (match?.[1] !== undefined) return { kind: "depInstallPath", name: match[1] };
  return undefined;
}
