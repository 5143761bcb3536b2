import { describe, expect, test } from "bun:test";
import { parseWwwAuthenticate } from "../../src/oci/www-authenticate.ts";

const REALM = "http://127.0.0.1:5000/token";
const SCOPE = "repository:team/tool:pull,push";

/** Parses `header`, failing the test when the parser rejects it. */
function challengesOf(header: string) {
  const result = parseWwwAuthenticate(header);
  if (!result.ok) throw new Error(`parse failed: ${result.reason}`);
  return result.value;
}

describe("parseWwwAuthenticate", () => {
  test.each([
    ["compact", `Bearer realm="${REALM}",service="reg.test",scope="${SCOPE}"`],
    [
      "spaces after commas",
      `Bearer realm="${REALM}", service="reg.test", scope="${SCOPE}"`,
    ],
    [
      "other parameter order",
      `Bearer scope="${SCOPE}",service="reg.test",realm="${REALM}"`,
    ],
    [
      "unquoted token and extra parameter",
      `Bearer realm="${REALM}",service=reg.test,scope="${SCOPE}",error="insufficient_scope"`,
    ],
    [
      "lowercase scheme",
      `bearer realm="${REALM}",service="reg.test",scope="${SCOPE}"`,
    ],
  ])("keeps the scope whole: %s", (_, header) => {
    const result = parseWwwAuthenticate(header);

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value).toHaveLength(1);
    expect(result.value[0]?.scheme).toBe("bearer");
    expect(result.value[0]?.params.realm).toBe(REALM);
    expect(result.value[0]?.params.service).toBe("reg.test");
    expect(result.value[0]?.params.scope).toBe(SCOPE);
  });

  test("reads the extra error parameter", () => {
    const challenges = challengesOf(
      `Bearer realm="r",error="insufficient_scope"`,
    );

    expect(challenges[0]?.params.error).toBe("insufficient_scope");
  });

  test("splits several challenges", () => {
    const result = parseWwwAuthenticate(
      `Basic realm="basic, realm", Bearer realm="${REALM}",service="s"`,
    );

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.map((challenge) => challenge.scheme)).toEqual([
      "basic",
      "bearer",
    ]);
    expect(result.value[0]?.params.realm).toBe("basic, realm");
    expect(result.value[1]?.params.service).toBe("s");
  });

  test("unescapes quoted pairs", () => {
    const challenges = challengesOf(String.raw`Bearer realm="a\"b\\c"`);

    expect(challenges[0]?.params.realm).toBe(String.raw`a"b\c`);
  });

  test("lowercases parameter names", () => {
    const challenges = challengesOf(`Bearer Realm="r", SERVICE="s"`);

    expect(challenges[0]?.params).toEqual({ realm: "r", service: "s" });
  });

  test("accepts a scheme without parameters", () => {
    expect(challengesOf("Basic")).toEqual([{ scheme: "basic", params: {} }]);
  });

  test.each([["abc=="], ["abc="], ["abc"]])(
    "keeps a token68 value: %s",
    (token) => {
      const challenges = challengesOf(`Negotiate ${token}, Basic realm="r"`);

      expect(challenges).toEqual([
        { scheme: "negotiate", params: {}, token68: token },
        { scheme: "basic", params: { realm: "r" } },
      ]);
    },
  );

  test("rejects an unterminated quoted value", () => {
    const result = parseWwwAuthenticate(`Bearer realm="open`);

    expect(result.ok).toBe(false);
  });

  test("rejects a value that starts with a separator", () => {
    const result = parseWwwAuthenticate(`="x"`);

    expect(result.ok).toBe(false);
  });
});
