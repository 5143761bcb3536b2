/**
 * Bounds how many tasks run at once; the others wait in arrival order.
 * Used for blob downloads, so parallel installs share one budget of
 * connections instead of opening one per layer.
 */
export class Limiter {
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.limit) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#active++;
    }
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      // The slot passes straight to the next task, so #active stays put.
      if (next) next();
      else this.#active--;
    }
  }
}

/** Maps `items` through `task` with at most `limit` running at once, keeping order. */
export async function mapBounded<T, R>(
  items: T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const limiter = new Limiter(limit);
  // Waits for every task before failing, so no task still writes into a
  // folder the caller removes on failure.
  const results = await Promise.allSettled(
    items.map((item) => limiter.run(() => task(item))),
  );
  const failure = results.find((result) => result.status === "rejected");
  if (failure) throw failure.reason;
  return results.map((result) => (result as PromiseFulfilledResult<R>).value);
}
