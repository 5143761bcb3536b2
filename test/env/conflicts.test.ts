import { describe, expect, test } from "bun:test";

import { composeEnv, type ComposeInput, type EnvEntry } from "../../src/env/compose.ts";

const JDK17 = "r/team/jdk17:1";
const JDK21 = "r/team/jdk21:1";
const CA = "r/corp/ca:1";

function constant(key: string, value: string): EnvEntry {
  return { key, type: "constant", value };
}

function pkg(id: string, entries: EnvEntry[]): ComposeInput {
  return { id, role: "package", entries };
}

const jdk17: ComposeInput = {
  id: JDK17,
  role: "package",
  entries: [constant("JAVA_HOME", "/jdk17"), constant("SSL_CERT_FILE", "/jdk17/cacerts.pem")],
};
const jdk21 = pkg(JDK21, [constant("JAVA_HOME", "/jdk21")]);
const ca: ComposeInput = {
  id: CA,
  role: "companion",
  patches: [JDK17, JDK21],
  entries: ["SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE"].map((key) =>
    constant(key, "/ca/corp-ca.pem"),
  ),
};

describe("ConflictTracker", () => {
  // Walk order jdk17, jdk21, ca: bases before the companion that patches them.
  const result = composeEnv([jdk17, jdk21, ca], { SSL_CERT_FILE: "/etc/ssl/user.pem" });

  test("companion wins over package and caller", () => {
    expect(result.env.SSL_CERT_FILE).toBe("/ca/corp-ca.pem");
  });

  test("two packages setting constant warn", () => {
    const conflict = result.conflicts.find((item) => item.key === "JAVA_HOME");
    expect(conflict?.level).toBe("warn");
    expect(conflict?.ids).toEqual([JDK17, JDK21]);
    expect(conflict?.message).toBe(
      `JAVA_HOME is set by "${JDK17}" and "${JDK21}": "${JDK21}" wins because it comes last in the order`,
    );
  });

  test("companion overriding its base is info", () => {
    const conflict = result.conflicts.find((item) => item.key === "SSL_CERT_FILE");
    expect(conflict?.level).toBe("info");
    expect(conflict?.ids).toEqual([JDK17, CA]);
    expect(conflict?.message).toBe(
      `companion "${CA}" overrides SSL_CERT_FILE of "${JDK17}", which it patches`,
    );
  });

  test("reports nothing for new constants", () => {
    expect(result.conflicts.map((conflict) => conflict.key)).toEqual([
      "JAVA_HOME",
      "SSL_CERT_FILE",
    ]);
  });

  test("two companions setting constant warn", () => {
    const other: ComposeInput = {
      ...ca,
      id: "r/corp/other:1",
      entries: [constant("NODE_EXTRA_CA_CERTS", "/other/ca.pem")],
    };
    const conflicts = composeEnv([jdk17, ca, other], {}).conflicts;
    const conflict = conflicts.find((item) => item.key === "NODE_EXTRA_CA_CERTS");
    expect(conflict?.level).toBe("warn");
    expect(conflict?.ids).toEqual([CA, "r/corp/other:1"]);
  });

  test("companion overriding unpatched package warns", () => {
    const narrow: ComposeInput = { ...ca, patches: [JDK21] };
    const conflicts = composeEnv([jdk17, narrow], {}).conflicts;
    expect(conflicts.find((item) => item.key === "SSL_CERT_FILE")?.level).toBe("warn");
  });

  test("package overriding companion warns", () => {
    const late = pkg("r/z:1", [constant("SSL_CERT_FILE", "/z")]);
    const conflicts = composeEnv([ca, late], {}).conflicts;
    expect(conflicts.find((item) => item.key === "SSL_CERT_FILE")?.level).toBe("warn");
  });

  test("constant replacing path entries warns", () => {
    const adds = pkg("a", [{ key: "PATH", type: "path", value: "/a" }]);
    const sets = pkg("b", [constant("PATH", "/b")]);
    const conflicts = composeEnv([adds, sets], { PATH: "/bin" }).conflicts;
    expect(conflicts).toEqual([
      {
        key: "PATH",
        level: "warn",
        ids: ["a", "b"],
        message: 'PATH is set by "a" and "b": "b" wins because it comes last in the order',
      },
    ]);
  });

  test("same value is no conflict", () => {
    const twin: ComposeInput = { ...jdk21, id: "r/team/twin:1" };
    expect(composeEnv([jdk21, twin], {}).conflicts).toEqual([]);
  });

  test("three setters give one conflict", () => {
    const jdk22 = pkg("r/team/jdk22:1", [constant("JAVA_HOME", "/jdk22")]);
    const conflicts = composeEnv([jdk17, jdk21, jdk22], {}).conflicts;
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]?.ids).toEqual([JDK17, JDK21, "r/team/jdk22:1"]);
  });

  test("path entries from many packages are no conflict", () => {
    const order: ComposeInput[] = ["a", "b"].map((id) => ({
      id,
      role: "companion",
      entries: [{ key: "PATH", type: "path", value: `/${id}` }],
    }));
    expect(composeEnv(order, {}).conflicts).toEqual([]);
  });
});
