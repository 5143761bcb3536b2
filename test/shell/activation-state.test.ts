import { describe, expect, test } from "bun:test";
import {
  buildState,
  diffScript,
  readState,
  revertState,
  STATE_VARIABLE,
  type ActivationState,
} from "../../src/shell/activation-state.ts";

const WATCH = { stamp: null, files: [] };

function activate(base: Record<string, string | undefined>, target: Record<string, string>): ActivationState {
  return buildState({ base, target, separators: { PATH: ":", MANPATH: ":", OPTS: " " }, project: "/p/ocx.toml", tools: [], watch: WATCH });
}

describe("revertState", () => {
  const base = { PATH: "/usr/bin:/bin", EMPTY: "", KEEP: "k" };
  const target = { PATH: "/s/bin:/usr/bin:/bin", EMPTY: "set", NEW: "n", MANPATH: "/s/man", KEEP: "k" };
  const state = activate(base, target);

  test("restores every variable it changed", () => {
    expect(revertState({ ...target }, state)).toEqual(base);
  });

  test("unsets a variable that was unset", () => {
    expect(revertState({ ...target }, state)).not.toHaveProperty("NEW");
  });

  test("empties a variable that was empty", () => {
    expect(revertState({ ...target }, state).EMPTY).toBe("");
  });

  test("keeps the user's later PATH edits", () => {
    const edited = { ...target, PATH: `/mine:${target.PATH}:/later` };
    expect(revertState(edited, state).PATH).toBe("/mine:/usr/bin:/bin:/later");
  });

  test("keeps a constant the user changed", () => {
    expect(revertState({ ...target, NEW: "mine" }, state).NEW).toBe("mine");
  });

  test("leaves a variable the user unset", () => {
    const { NEW: _removed, ...rest } = target;
    expect(revertState(rest, state)).not.toHaveProperty("NEW");
  });

  test("restores a moved PATH entry to its place", () => {
    const moved = activate({ PATH: "/usr/bin:/s/bin" }, { PATH: "/s/bin:/usr/bin" });
    expect(revertState({ PATH: "/s/bin:/usr/bin" }, moved).PATH).toBe("/usr/bin:/s/bin");
  });

  test("unsets MANPATH left with only ocx entries", () => {
    const edited = { ...target, MANPATH: "/s/man" , PATH: `${target.PATH}:/x` };
    expect(revertState(edited, state)).not.toHaveProperty("MANPATH");
  });

  test("drops the state variable", () => {
    expect(revertState({ [STATE_VARIABLE]: "{}" }, undefined)).toEqual({});
  });
});

describe("buildState", () => {
  test("records only elements ocx added", () => {
    const state = activate({ PATH: "/usr/bin:/s/bin" }, { PATH: "/s/bin:/t/bin:/usr/bin" });
    expect(state.vars.PATH?.added).toEqual(["/t/bin"]);
  });

  test("records prior as null when unset", () => {
    expect(activate({}, { A: "1" }).vars.A?.prior).toBeNull();
  });

  test("uses the list separator", () => {
    expect(activate({ OPTS: "-a" }, { OPTS: "-a -b" }).vars.OPTS?.added).toEqual(["-b"]);
  });
});

describe("readState", () => {
  test.each([["{"], ['{"version":2}'], [""], ["null"]])("ignores %p", (text) => {
    expect(readState({ [STATE_VARIABLE]: text })).toBeUndefined();
  });

  test("reads what diffScript exports", () => {
    const state = activate({}, { A: "it's\n$x" });
    const script = diffScript({}, { target: { A: "it's\n$x" }, previous: undefined, next: state });
    const exported = script.set.find((entry) => entry.key === STATE_VARIABLE)!.value;
    expect(readState({ [STATE_VARIABLE]: exported })).toEqual(state);
  });
});

describe("diffScript", () => {
  test("sets changed and unsets removed variables", () => {
    const previous = activate({}, { OLD: "1", SAME: "s" });
    const next = activate({}, { SAME: "s", NEW: "2" });
    const script = diffScript({ OLD: "1", SAME: "s" }, { target: { SAME: "s", NEW: "2" }, previous, next });
    expect(script.set.map((entry) => entry.key)).toEqual(["NEW", STATE_VARIABLE]);
    expect(script.unset).toEqual(["OLD"]);
  });

  test("unsets the state when leaving", () => {
    const previous = activate({}, { A: "1" });
    const script = diffScript({ A: "1", [STATE_VARIABLE]: "x" }, { target: {}, previous, next: undefined });
    expect(script.unset).toEqual(["A", STATE_VARIABLE]);
  });
});
