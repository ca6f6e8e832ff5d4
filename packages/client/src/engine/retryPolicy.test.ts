import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffMs, DEFAULT_RETRY, isRetryableStatus, mayRepeat } from "./retryPolicy";

describe("retry policy", () => {
  it("waits between 0 and min(maxDelayMs, baseDelayMs * 2^(n-1)): full jitter", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        (n, baseDelayMs, maxDelayMs) => {
          const delay = backoffMs(n, { ...DEFAULT_RETRY, baseDelayMs, maxDelayMs });
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(Math.min(maxDelayMs, baseDelayMs * 2 ** (n - 1)));
        },
      ),
    );
  });

  it("repeats only idempotent methods, or any method with an Idempotency-Key", () => {
    for (const m of ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"])
      expect(mayRepeat(m, false)).toBe(true);
    for (const m of ["POST", "PATCH"]) {
      expect(mayRepeat(m, false)).toBe(false);
      expect(mayRepeat(m, true)).toBe(true);
    }
  });

  it("retries 408, 429, 500, 502, 503 and 504 only", () => {
    const retried = Array.from({ length: 500 }, (_, i) => i + 100).filter(isRetryableStatus);
    expect(retried).toEqual([408, 429, 500, 502, 503, 504]);
  });
});
