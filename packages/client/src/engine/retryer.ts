import { parseRetryAfter } from "@mfa-kit/protocol";
import type { EngineCore } from "./core";
import type { RetryReason } from "./events";
import type { AttemptFailure, FailureLink } from "./failure";
import { MfaError, noResponse } from "./mfaError";
import { OWN_IDEMPOTENCY_KEY } from "./requestContext";
import { backoffMs, isRetryableStatus, mayRepeat, type RetryOptions } from "./retryPolicy";
import { sleep } from "./wait";

/**
 * When and how long to retry a transient failure (no response, 408, 429, 5xx), as TanStack query's
 * retryer takes it: each of the two is a number or a function.
 */
export interface RetryerConfig {
  /** Whether retry number `attempt` (1 for the first) goes; a number `n` allows `n` retries. */
  shouldRetry: number | ((failure: AttemptFailure, attempt: number) => boolean);
  /** The wait in ms before retry number `attempt`; a number is the same wait for each. */
  retryDelay: number | ((attempt: number, failure: AttemptFailure) => number);
  /** A `Retry-After` longer than this is not waited for. */
  maxRetryAfterMs: number;
  /** Nothing is retried once this long has passed since the first attempt. */
  windowMs: number;
}

/** A {@link RetryerConfig} with both decisions as functions. */
export interface Retryer extends RetryerConfig {
  shouldRetry(failure: AttemptFailure, attempt: number): boolean;
  retryDelay(attempt: number, failure: AttemptFailure): number;
}

/** The retryer of `config`. */
export function createRetryer(config: RetryerConfig): Retryer {
  const { shouldRetry: most, retryDelay: wait } = config;
  return {
    ...config,
    shouldRetry: typeof most === "number" ? (_, n) => n <= most : most,
    retryDelay: typeof wait === "number" ? () => wait : wait,
  };
}

/** The retryer of the client's `retry` option: `retries` retries, exponential backoff, full jitter. */
export const retryerOf = (options: RetryOptions): Retryer =>
  createRetryer({
    ...options,
    shouldRetry: options.retries,
    retryDelay: (n) => backoffMs(n, options),
  });

/** Runs `fn` at `until` (local epoch ms) without keeping a Node process alive for it. */
export const later = (until: number, fn: () => void) =>
  (setTimeout(fn, until - Date.now()) as { unref?(): void }).unref?.();

/**
 * The last failure handler: waits and replays a transient failure of a request that may be repeated
 * (an idempotent method or one with an Idempotency-Key, and a body that can be sent again), for as
 * long as `retryer` allows, the retry window lasts and the API's `Retry-After` is acceptable; then
 * rejects with `RETRY_EXHAUSTED`. The wait is the longest of the backoff, `Retry-After` (an
 * HTTP-date read on the server's clock) and a rate limit already shown. Any other failure goes to
 * the caller: as it is when there was a response, else as `NETWORK` / `TIMEOUT`.
 */
export function createRetryHandler(core: EngineCore, retryer: Retryer | null) {
  const { store_: store, clock, emit } = core;

  /** Shows a rate limit until `until` (local epoch ms), and no longer. */
  const showLimit = (until: number | null) => {
    store.set({ rateLimitedUntil: until });
    if (until) {
      later(until, () => {
        if (store.getSnapshot().rateLimitedUntil === until) store.set({ rateLimitedUntil: null });
      });
    }
  };

  const handler: FailureLink = async (ctx, f) => {
    const { kind, status, headers } = f;
    if (
      !retryer ||
      ctx.stream ||
      !(kind || isRetryableStatus(status)) ||
      !mayRepeat(ctx.method, !!(ctx.own & OWN_IDEMPOTENCY_KEY || ctx.key))
    ) {
      if (kind) throw noResponse(kind, f.error);
      return "pass";
    }
    const n = ++ctx.retries;
    const now = Date.now();
    // An HTTP-date counts from the response's own Date, else from the server's time as known.
    const retryAfterMs =
      parseRetryAfter(
        headers?.get("retry-after") as string,
        Date.parse(headers?.get("date") as string) || clock.now(),
      ) ?? undefined;
    const delay = Math.max(
      retryer.retryDelay(n, f),
      retryAfterMs ?? 0,
      (store.getSnapshot().rateLimitedUntil ?? 0) - now,
    );
    if (
      !retryer.shouldRetry(f, n) ||
      retryAfterMs! > retryer.maxRetryAfterMs ||
      now + delay - ctx.start > retryer.windowMs
    ) {
      throw new MfaError("RETRY_EXHAUSTED", `Gave up after ${n} attempts.`, {
        attempts: n,
        status,
        response: f.response,
        retryAfterMs,
        cause: f.error,
      });
    }
    if (retryAfterMs !== undefined) {
      showLimit(now + delay);
      emit("ratelimit.wait", { untilMs: now + delay });
    }
    emit("request.retry", {
      attempt: n,
      delayMs: delay,
      reason: (kind ?? "status") as RetryReason, // an abort never gets here
      status,
      method: ctx.method,
      url: ctx.url(),
    });
    await sleep(delay, ctx.signal);
    return "replay";
  };

  return { handler_: handler, showLimit_: showLimit };
}
