/** When and how often failed requests are retried. */
export interface RetryOptions {
  /** Retries after the first attempt. Defaults to 3. */
  retries: number;
  /** The first backoff ceiling, doubled on each retry (full jitter). Defaults to 500 ms. */
  baseDelayMs: number;
  /** The largest backoff ceiling. Defaults to 30 000 ms. */
  maxDelayMs: number;
  /** A `Retry-After` longer than this is not waited for. Defaults to 300 000 ms (5 min). */
  maxRetryAfterMs: number;
  /** Nothing is retried once this long has passed since the first attempt. Defaults to 900 000 ms (15 min); at most 4 h. */
  windowMs: number;
}

/** The retry defaults. */
export const DEFAULT_RETRY: RetryOptions = {
  retries: 3,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 300_000,
  windowMs: 900_000,
};

/** Methods safe to repeat (RFC 9110 §9.2.2). */
const IDEMPOTENT = ["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"];

/** Statuses worth another attempt: the server may well answer differently a little later. */
const RETRYABLE = [408, 429, 500, 502, 503, 504];

/** Whether a request of `method` may be repeated: idempotent, or carrying an Idempotency-Key. */
export const mayRepeat = (method: string, hasIdempotencyKey: boolean): boolean =>
  hasIdempotencyKey || IDEMPOTENT.includes(method);

/** Whether an answer with this status is worth a retry. */
export const isRetryableStatus = (status: number): boolean => RETRYABLE.includes(status);

/**
 * The wait before retry number `retry` (1-based): exponential backoff with full jitter, a random
 * delay between 0 and `min(maxDelayMs, baseDelayMs * 2^(retry - 1))`.
 */
export const backoffMs = (retry: number, options: RetryOptions): number =>
  Math.floor(Math.random() * Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (retry - 1)));
