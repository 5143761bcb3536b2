import { describe, expect, test } from "bun:test";

import { slugify } from "../../src/patch/slugify.ts";

describe("slugify", () => {
  test.each([
    ["ocx.sh", "ocx.sh"],
    ["localhost:5000", "localhost_5000"],
    ["Corp-Example_1.io", "Corp-Example_1.io"],
    ["a/b c", "a_b_c"],
    ["[::1]:5000", "___1__5000"],
    ["é", "_"],
    ["", ""],
  ])("turns %p into %p", (input, expected) => {
    expect(slugify(input)).toBe(expected);
  });
});
