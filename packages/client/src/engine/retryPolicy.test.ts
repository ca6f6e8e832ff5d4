import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { backoffMs, DEFAULT_RETRY, isRetryableStatus, mayRepeat } from "./retryPolicy";

describe("retry policy", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("draws the wait uniformly below the ceiling: base doubled per retry, capped at maxDelayMs", () => {
    const options = { ...DEFAULT_RETRY, baseDelayMs: 500, maxDelayMs: 3_000 };
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(n, options))).toEqual([250, 500, 1000, 1500, 1500]);
    vi.spyOn(Math, "random").mockReturnValue(0.9999);
    expect(backoffMs(1, options)).toBe(499);
    vi.spyOn(Math, "random").mockReturnValue(0);
    expect(backoffMs(3, options)).toBe(0);
  });

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
    for (const m of ["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"])
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
