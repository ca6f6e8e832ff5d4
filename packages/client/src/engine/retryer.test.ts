import { describe, expect, it, vi } from "vitest";
import type { EngineCore } from "./core";
import type { AttemptFailure } from "./failure";
import { RequestContext } from "./requestContext";
import { createRetryer, createRetryHandler, retryerOf } from "./retryer";
import { DEFAULT_RETRY } from "./retryPolicy";
import { createStore } from "./store";
import type { MfaSnapshot } from "./types";

function target(this: RequestContext) {
  return this.target as string;
}
const failure: AttemptFailure = { status: 503, headers: new Headers() };

const coreOf = (): EngineCore =>
  ({
    store_: createStore<MfaSnapshot>({
      status: "idle",
      session: null,
      pendingChallenge: null,
      clockOffsetMs: 0,
      rateLimitedUntil: null,
    }),
    clock: { now: Date.now, offsetMs: 0, sample: () => false },
    emit: vi.fn(),
  }) as unknown as EngineCore;

describe("retryer", () => {
  it("takes a number of retries and a fixed delay, as TanStack's retryer does", () => {
    const r = createRetryer({ shouldRetry: 2, retryDelay: 250, maxRetryAfterMs: 1, windowMs: 1 });
    expect([1, 2, 3].map((n) => r.shouldRetry(failure, n))).toEqual([true, true, false]);
    expect(r.retryDelay(1, failure)).toBe(250);
    expect(r.retryDelay(7, failure)).toBe(250);
  });

  it("takes functions of the failure and the attempt", () => {
    const shouldRetry = vi.fn((f: AttemptFailure, n: number) => f.status === 503 && n < 5);
    const retryDelay = vi.fn((n: number) => n * 100);
    const r = createRetryer({ shouldRetry, retryDelay, maxRetryAfterMs: 1, windowMs: 1 });
    expect(r.shouldRetry(failure, 4)).toBe(true);
    expect(r.shouldRetry({ status: 500 }, 1)).toBe(false);
    expect(r.retryDelay(3, failure)).toBe(300);
    expect(shouldRetry).toHaveBeenCalledWith(failure, 4);
    expect(retryDelay).toHaveBeenCalledWith(3, failure);
  });

  it("makes the client's retry option a retryer: retries, full-jitter backoff", () => {
    const r = retryerOf({ ...DEFAULT_RETRY, retries: 1, baseDelayMs: 100 });
    expect(r.shouldRetry(failure, 1)).toBe(true);
    expect(r.shouldRetry(failure, 2)).toBe(false);
    for (let i = 0; i < 50; i++) expect(r.retryDelay(1, failure)).toBeLessThanOrEqual(100);
    expect(r.windowMs).toBe(DEFAULT_RETRY.windowMs);
  });

  it("waits the retryer's delay, then gives up with RETRY_EXHAUSTED when it says no more", async () => {
    vi.useFakeTimers();
    try {
      const shouldRetry = vi.fn((_: AttemptFailure, n: number) => n < 2);
      const { handler_: handler } = createRetryHandler(
        coreOf(),
        createRetryer({
          shouldRetry,
          retryDelay: 1_000,
          maxRetryAfterMs: 60_000,
          windowMs: 60_000,
        }),
      );
      const ctx = new RequestContext("GET", undefined, target, "https://api.example.com/x");
      ctx.start = Date.now();
      let verdict: unknown;
      void (async () => {
        verdict = await handler(ctx, failure);
      })();
      await vi.advanceTimersByTimeAsync(999);
      expect(verdict).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
      expect(verdict).toBe("replay");
      await expect(handler(ctx, failure)).rejects.toMatchObject({
        code: "RETRY_EXHAUSTED",
        attempts: 2,
      });
      expect(shouldRetry.mock.calls.map(([, n]) => n)).toEqual([1, 2]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("passes a failure that is not transient, and never repeats a POST without a key", async () => {
    const { handler_: handler } = createRetryHandler(coreOf(), retryerOf(DEFAULT_RETRY));
    const get = new RequestContext("GET", undefined, target, "https://api.example.com/x");
    expect(await handler(get, { status: 404 })).toBe("pass");
    const post = new RequestContext("POST", undefined, target, "https://api.example.com/x");
    expect(await handler(post, failure)).toBe("pass");
    await expect(handler(post, { status: 0, kind: "timeout" })).rejects.toMatchObject({
      code: "TIMEOUT",
    });
  });
});
