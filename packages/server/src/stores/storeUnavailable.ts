import type { MfaStore } from "./types";

/**
 * Thrown by a store that cannot answer: `redisStore` or the PostgreSQL store when disconnected,
 * reconnecting or slower than their `timeoutMs`; any other {@link MfaStore} should throw it on an
 * outage too. The kit fails closed on it: verifications and session checks answer 503
 * `service_unavailable` with `Retry-After`, never accept; calls succeed again once the client has
 * reconnected. Anything else a store throws is a bug, answered 500 `internal_error`.
 */
export class StoreUnavailableError extends Error {
  /** Always `"store_unavailable"`. */
  readonly code = "store_unavailable";
  /** Seconds after which a retry has a fair chance. */
  readonly retryAfterSeconds: number;

  constructor(message: string, options: { cause?: unknown; retryAfterSeconds?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "StoreUnavailableError";
    this.retryAfterSeconds = options.retryAfterSeconds ?? 1;
  }

  /** Brand check that works across copies of the package (ESM and CJS). */
  static is(error: unknown): error is StoreUnavailableError {
    return (
      typeof error === "object" &&
      error !== null &&
      (error as { code?: unknown }).code === "store_unavailable" &&
      error instanceof Error
    );
  }
}
