import { describe, expect, test } from "bun:test";
import { isRetryableStatus, parseRetryAfter, retryDelay } from "../../src/oci/retry.ts";

describe("isRetryableStatus", () => {
  test.each([
    [429, true],
    [500, true],
    [502, true],
    [503, true],
    [501, false],
    [505, false],
    [404, false],
    [401, false],
  ])("HTTP %d gives %p", (status, expected) => {
    expect(isRetryableStatus(status)).toBe(expected);
  });
});

describe("parseRetryAfter", () => {
  test("reads delay seconds", () => {
    expect(parseRetryAfter("3")).toBe(3000);
  });

  test("reads an HTTP date", () => {
    const now = Date.parse("Wed, 21 Oct 2015 07:28:00 GMT");
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:05 GMT", now)).toBe(5000);
  });

  test.each([[null], [""], ["soon"]])("ignores %p", (value) => {
    expect(parseRetryAfter(value)).toBeUndefined();
  });
});

describe("retryDelay", () => {
  const policy = { retries: 3, delayMs: 100, maxDelayMs: 1000 };

  test("doubles per attempt within a quarter of jitter", () => {
    const third = retryDelay(policy, 3);
    expect(third).toBeGreaterThanOrEqual(400);
    expect(third).toBeLessThanOrEqual(500);
  });

  test("caps the wait", () => {
    expect(retryDelay(policy, 10)).toBe(1000);
  });

  test("prefers Retry-After", () => {
    expect(retryDelay(policy, 1, 700)).toBe(700);
  });
});
