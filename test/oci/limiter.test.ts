import { describe, expect, test } from "bun:test";
import { Limiter, mapBounded } from "../../src/oci/limiter.ts";

describe("Limiter", () => {
  test("runs at most the limit at once", async () => {
    const limiter = new Limiter(2);
    let active = 0;
    let peak = 0;
    const gates = Array.from({ length: 5 }, () => Promise.withResolvers<void>());
    const runs = gates.map((gate) =>
      limiter.run(async () => {
        active++;
        peak = Math.max(peak, active);
        await gate.promise;
        active--;
      }),
    );
    for (const gate of gates) {
      await Bun.sleep(0);
      gate.resolve();
    }
    await Promise.all(runs);
    expect(peak).toBe(2);
  });
});

describe("mapBounded", () => {
  test("keeps the input order", async () => {
    const result = await mapBounded([3, 1, 2], 2, async (value) => {
      await Bun.sleep(value);
      return value * 10;
    });
    expect(result).toEqual([30, 10, 20]);
  });

  test("waits for every task before failing", async () => {
    let finished = 0;
    const run = mapBounded([1, 2, 3], 3, async (value) => {
      if (value === 1) throw new Error("first fails");
      await Bun.sleep(5);
      finished++;
    });
    await expect(run).rejects.toThrow("first fails");
    expect(finished).toBe(2);
  });
});
