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

  describe("with Retry-After", () => {
    const T = Date.UTC(2030, 0, 1);
    const fixed = (overrides: Partial<Parameters<typeof createRetryer>[0]> = {}) =>
      createRetryer({
        shouldRetry: 5,
        retryDelay: 100,
        maxRetryAfterMs: 60_000,
        windowMs: 120_000,
        ...overrides,
      });
    const limited = (retryAfter: string, status = 429) => ({
      status,
      headers: new Headers({ "retry-after": retryAfter }),
    });
    const setup = (retryer = fixed()) => {
      vi.useFakeTimers({ now: T });
      const core = coreOf();
      const { handler_: handler, showLimit_: showLimit } = createRetryHandler(core, retryer);
      const ctx = new RequestContext("GET", undefined, target, "https://api.example.com/x");
      ctx.start = Date.now();
      return { core, handler, showLimit, ctx, emit: core.emit as ReturnType<typeof vi.fn> };
    };

    it("waits the longer of the backoff and Retry-After, shows the limit until then, and says so", async () => {
      try {
        const { core, handler, ctx, emit } = setup();
        let verdict: unknown;
        void Promise.resolve(handler(ctx, limited("7"))).then((v) => {
          verdict = v;
        });
        await vi.advanceTimersByTimeAsync(0);
        expect(core.store_.getSnapshot().rateLimitedUntil).toBe(T + 7_000);
        expect(emit).toHaveBeenCalledWith("ratelimit.wait", { untilMs: T + 7_000 });
        expect(emit).toHaveBeenCalledWith("request.retry", {
          attempt: 1,
          delayMs: 7_000,
          reason: "status",
          status: 429,
          method: "GET",
          url: "https://api.example.com/x",
        });
        await vi.advanceTimersByTimeAsync(6_999);
        expect(verdict).toBeUndefined();
        await vi.advanceTimersByTimeAsync(1);
        expect(verdict).toBe("replay");
        expect(core.store_.getSnapshot().rateLimitedUntil).toBeNull();
        // without Retry-After: the backoff, no limit shown
        emit.mockClear();
        void handler(ctx, { status: 503, headers: new Headers() });
        await vi.advanceTimersByTimeAsync(0);
        expect(emit.mock.calls.map(([name]) => name)).toEqual(["request.retry"]);
        expect(emit.mock.calls[0]![1]).toMatchObject({ attempt: 2, delayMs: 100 });
        expect(core.store_.getSnapshot().rateLimitedUntil).toBeNull();
      } finally {
        vi.useRealTimers();
      }
    });

    it("reads an HTTP-date against the response's own Date", async () => {
      try {
        const { handler, ctx, emit } = setup();
        const headers = new Headers({
          "retry-after": new Date(T - 60_000 + 5_000).toUTCString(),
          date: new Date(T - 60_000).toUTCString(),
        });
        void handler(ctx, { status: 503, headers });
        await vi.advanceTimersByTimeAsync(0);
        expect(emit).toHaveBeenCalledWith("ratelimit.wait", { untilMs: T + 5_000 });
      } finally {
        vi.useRealTimers();
      }
    });

    it("keeps waiting out a limit already shown", async () => {
      try {
        const { core, handler, showLimit, ctx, emit } = setup();
        showLimit(T + 4_000);
        void handler(ctx, { status: 503, headers: new Headers() });
        await vi.advanceTimersByTimeAsync(0);
        expect(emit.mock.calls[0]![1]).toMatchObject({ delayMs: 4_000 });
        // a limit is cleared at its end only if no later one replaced it
        showLimit(T + 9_000);
        await vi.advanceTimersByTimeAsync(4_000);
        expect(core.store_.getSnapshot().rateLimitedUntil).toBe(T + 9_000);
        showLimit(null);
        expect(core.store_.getSnapshot().rateLimitedUntil).toBeNull();
      } finally {
        vi.useRealTimers();
      }
    });

    it("gives up on a Retry-After past maxRetryAfterMs, and on a wait past the window", async () => {
      try {
        const { handler, ctx } = setup(fixed({ maxRetryAfterMs: 10_000, windowMs: 20_000 }));
        void handler(ctx, limited("10"));
        await vi.advanceTimersByTimeAsync(10_000);
        await expect(handler(ctx, limited("11"))).rejects.toMatchObject({
          code: "RETRY_EXHAUSTED",
          attempts: 2,
          status: 429,
          retryAfterMs: 11_000,
          message: "Gave up after 2 attempts.",
        });
        // 10 s have passed: a wait of 10 s ends at the window's edge, one more ms is past it
        const edge = handler(ctx, limited("10", 503));
        await vi.advanceTimersByTimeAsync(0);
        await vi.advanceTimersByTimeAsync(10_000);
        expect(await edge).toBe("replay");
        await expect(handler(ctx, { status: 503, headers: new Headers() })).rejects.toMatchObject({
          code: "RETRY_EXHAUSTED",
          attempts: 4,
        });
      } finally {
        vi.useRealTimers();
      }
    });

    it("never retries a streamed body, nor without a retryer, and names a lost response", async () => {
      const post = new RequestContext("GET", undefined, target, "https://api.example.com/x");
      const none = createRetryHandler(coreOf(), null).handler_;
      expect(await none(post, failure)).toBe("pass");
      await expect(none(post, { status: 0, kind: "network" })).rejects.toMatchObject({
        code: "NETWORK",
      });
      const stream = new RequestContext("GET", undefined, target, "https://api.example.com/x");
      stream.stream = true;
      expect(
        await createRetryHandler(coreOf(), retryerOf(DEFAULT_RETRY)).handler_(stream, failure),
      ).toBe("pass");
    });
  });
});
