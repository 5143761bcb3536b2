import { describe, expect, test } from "bun:test";

import { composeEnv, type ComposeInput, type EnvEntry } from "../../src/env/compose.ts";
import { topologicalOrder } from "../../src/graph/kahn.ts";

function pkg(id: string, entries: EnvEntry[]): ComposeInput {
  return { id, role: "package", entries };
}

function path(key: string, value: string): EnvEntry {
  return { key, type: "path", value };
}

const A = "/store/a";
const B = "/store/b";
const DEP = "/store/dep";

// Walk order b, dep, a: the tie-broken Kahn order of a (depends on dep) and b.
const walk = [
  pkg("r/team/b:1.0", [path("PATH", `${B}/bin`)]),
  pkg("r/team/dep:1.0", [path("PATH", `${DEP}/bin`)]),
  pkg("r/team/a:1.0", [path("PATH", `${A}/bin`), path("PATH", `${A}/sbin`)]),
];

describe("composeEnv", () => {
  test("prepends own path entries as group", () => {
    const result = composeEnv(walk, { PATH: "/usr/bin:/bin" });
    expect(result.env.PATH).toBe(`${A}/bin:${A}/sbin:${DEP}/bin:${B}/bin:/usr/bin:/bin`);
  });

  test("moves present path entry to front", () => {
    const result = composeEnv([pkg("p", [path("PATH", "/opt/x")])], {
      PATH: "/usr/bin:/opt/x:/bin:/opt/x",
    });
    expect(result.env.PATH).toBe("/opt/x:/usr/bin:/bin");
  });

  test("applying twice never grows path", () => {
    const once = composeEnv(walk, { PATH: "/usr/bin:/bin" });
    const twice = composeEnv(walk, once.env);
    expect(twice.env.PATH).toBe(once.env.PATH as string);
  });

  test("applying twice never grows list", () => {
    const order = [
      pkg("p", [{ key: "OPTS", type: "list", value: "-Da=1", separator: " " }]),
    ];
    const once = composeEnv(order, { OPTS: "-Xmx1g" });
    const twice = composeEnv(order, once.env);
    expect(twice.env.OPTS).toBe("-Xmx1g -Da=1");
  });

  test("keeps spaces in path elements", () => {
    const result = composeEnv([pkg("p", [path("PATH", "/My Store/hello/bin")])], {
      PATH: "/usr/bin:/bin:/opt/Vendor Tools/bin",
    });
    expect(result.env.PATH).toBe("/My Store/hello/bin:/usr/bin:/bin:/opt/Vendor Tools/bin");
  });

  test.each([
    ["empty base", { PATH: "" }, "/s/bin"],
    ["unset base", {}, "/s/bin"],
    ["undefined base", { PATH: undefined }, "/s/bin"],
  ])("adds no separator for %s", (_name, base, expected) => {
    const result = composeEnv([pkg("hello", [path("PATH", "/s/bin")])], base);
    expect(result.env.PATH).toBe(expected);
  });

  test("skips empty path value", () => {
    const nopath = pkg("nopath", [path("PATH", ""), path("MANPATH", "/n/share/man")]);
    const result = composeEnv([nopath], { PATH: "/usr/bin:/bin" });
    expect(result.env.PATH).toBe("/usr/bin:/bin");
    expect(result.env.MANPATH).toBe("/n/share/man");
  });

  test("empty value leaves variable unset", () => {
    const result = composeEnv([pkg("p", [path("PATH", "")])], {});
    expect(result.env).toEqual({});
    expect(result.changed).toEqual([]);
  });

  test("drops empty pieces inside values", () => {
    const result = composeEnv([pkg("p", [path("PATH", ":/a::/b:")])], { PATH: "/bin" });
    expect(result.env.PATH).toBe("/a:/b:/bin");
  });

  // NOTE: today's behaviour: the caller's own empty elements are kept.
  test("keeps caller empty elements", () => {
    const result = composeEnv([pkg("p", [path("PATH", "/a")])], { PATH: "/usr/bin::/bin" });
    expect(result.env.PATH).toBe("/a:/usr/bin::/bin");
  });

  test("constant beats caller value", () => {
    const order = [pkg("p", [{ key: "SSL_CERT_FILE", type: "constant", value: "/ca.pem" }])];
    const result = composeEnv(order, { SSL_CERT_FILE: "/etc/ssl/user.pem" });
    expect(result.env.SSL_CERT_FILE).toBe("/ca.pem");
  });

  test("constant may be empty", () => {
    const order = [pkg("p", [{ key: "EMPTY", type: "constant", value: "" }])];
    expect(composeEnv(order, {}).env.EMPTY).toBe("");
  });

  test("later constant wins", () => {
    const order = [
      pkg("r/jdk17:1", [{ key: "JAVA_HOME", type: "constant", value: "/jdk17" }]),
      pkg("r/jdk21:1", [{ key: "JAVA_HOME", type: "constant", value: "/jdk21" }]),
    ];
    expect(composeEnv(order, {}).env.JAVA_HOME).toBe("/jdk21");
  });

  test("appends list with separator", () => {
    const order = [
      pkg("a", [{ key: "FLAGS", type: "list", value: "x,y", separator: "," }]),
      pkg("b", [{ key: "FLAGS", type: "list", value: "y", separator: "," }]),
      pkg("c", [{ key: "FLAGS", type: "list", value: "z", separator: "," }]),
    ];
    expect(composeEnv(order, {}).env.FLAGS).toBe("x,y,z");
  });

  test("list defaults to colon", () => {
    const order = [pkg("a", [{ key: "L", type: "list", value: "/x" }])];
    expect(composeEnv(order, { L: "/base" }).env.L).toBe("/base:/x");
  });

  test("path prepends onto constant", () => {
    const order = [
      pkg("a", [{ key: "V", type: "constant", value: "/one" }]),
      pkg("b", [path("V", "/two")]),
    ];
    expect(composeEnv(order, {}).env.V).toBe("/two:/one");
  });

  test("lists changed keys sorted", () => {
    const order = [
      pkg("p", [
        path("PATH", "/usr/bin"),
        { key: "Z", type: "constant", value: "1" },
        { key: "A", type: "constant", value: "1" },
      ]),
    ];
    const result = composeEnv(order, { PATH: "/usr/bin", HOME: "/h" });
    expect(result.changed).toEqual(["A", "Z"]);
  });

  test("keeps unrelated caller variables", () => {
    const result = composeEnv(walk, { HOME: "/h", PATH: "/bin" });
    expect(result.env.HOME).toBe("/h");
  });

  test("records origins in walk order", () => {
    const companion: ComposeInput = {
      id: "r/corp/ca:1",
      role: "companion",
      patches: ["r/team/a:1.0"],
      entries: [{ key: "OPTS", type: "list", value: "-Dca" }],
    };
    const result = composeEnv([...walk, companion], {});
    expect(result.origins.PATH).toEqual([
      { id: "r/team/b:1.0", role: "package", action: "prepend", value: "/store/b/bin" },
      { id: "r/team/dep:1.0", role: "package", action: "prepend", value: "/store/dep/bin:/store/b/bin", previous: "/store/b/bin" },
      {
        id: "r/team/a:1.0",
        role: "package",
        action: "prepend",
        value: "/store/a/bin:/store/a/sbin:/store/dep/bin:/store/b/bin",
        previous: "/store/dep/bin:/store/b/bin",
      },
    ]);
    expect(result.origins.OPTS).toEqual([
      { id: "r/corp/ca:1", role: "companion", action: "append", value: "-Dca" },
    ]);
  });

  test("returns no unset keys", () => {
    expect(composeEnv(walk, {}).unset).toEqual([]);
  });

  test.each([
    ["a first", ["r/team/a:1.0", "r/team/b:1.0"]],
    ["b first", ["r/team/b:1.0", "r/team/a:1.0"]],
  ])("graph order fixes PATH with %s", (_name, roots) => {
    // The dependency is applied before its dependent, as the package graph orders it.
    const result = topologicalOrder([...roots, "r/team/dep:1.0"], [{ before: "r/team/dep:1.0", after: "r/team/a:1.0" }]);
    if (!result.ok) throw new Error(`unexpected cycle ${result.cycle.join(" -> ")}`);

    const byId = new Map(walk.map((input) => [input.id, input]));
    const order = result.order.map((id) => byId.get(id) as ComposeInput);
    const env = composeEnv(order, { PATH: "/usr/bin:/bin" }).env;
    expect(env.PATH).toBe(`${A}/bin:${A}/sbin:${DEP}/bin:${B}/bin:/usr/bin:/bin`);
  });
});
