/**
 * Thrown by a shared store (Redis, PostgreSQL) when it cannot answer: disconnected, reconnecting, or slower than
 * `timeoutMs`. The kit fails closed on it: verifications and session checks answer 503 with
 * `Retry-After`, never accept. Calls succeed again by themselves once the client has reconnected.
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
