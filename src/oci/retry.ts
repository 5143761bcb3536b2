/** How often and how patiently the client repeats a failed request. */
export interface RetryPolicy {
  /** Attempts after the first one. */
  retries: number;
  /** Wait before the first retry, in ms; it doubles each time. */
  delayMs: number;
  /** Upper bound on one wait, `Retry-After` included. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retries: 3,
  delayMs: 500,
  maxDelayMs: 30_000,
};

/**
 * Statuses worth repeating: 429 and the 5xx answers of an overloaded or
 * restarting registry or proxy. 501 and 505 say the request itself is
 * unsupported, so repeating it cannot help.
 */
export function isRetryableStatus(status: number): boolean {
  if (status === 429) return true;
  return status >= 500 && status !== 501 && status !== 505;
}

/**
 * Reads `Retry-After` (RFC 9110 10.2.3): delay seconds or an HTTP date.
 * Returns ms from `now`, or undefined when absent or unreadable.
 */
export function parseRetryAfter(
  value: string | null,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * The wait before retry number `attempt` (1-based): exponential with
 * jitter of up to a quarter, so clients that failed together do not
 * return together. A server's `Retry-After` replaces the computed wait.
 */
export function retryDelay(
  policy: RetryPolicy,
  attempt: number,
  retryAfterMs?: number,
): number {
  if (retryAfterMs !== undefined)
    return Math.min(retryAfterMs, policy.maxDelayMs);
  const base = policy.delayMs * 2 ** (attempt - 1);
  const jitter = base * 0.25 * Math.random();
  return Math.min(base + jitter, policy.maxDelayMs);
}
