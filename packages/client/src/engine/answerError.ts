import { isProblem, parseRetryAfter, problemName } from "@mfa-kit/protocol";
import { MfaError } from "./mfaError";
import type { WireResponse } from "./types";

/**
 * The error for an answer the API turned down: `LOCKED` for a lock or rate limit, with
 * `retryAfterMs` from `Retry-After` (read on the server's clock) or the body's `retryAfter`;
 * `INVALID_CODE` for a wrong, expired, reused or malformed code or an unknown factor, with
 * `attemptsLeft`. `null` when the failure is not about the answer (5xx, ...).
 */
export function answerError(
  { status, headers, body }: WireResponse,
  serverNow: number,
): MfaError | null {
  const problem = isProblem(body) ? body : null;
  const name = problemName(problem);
  const header = headers.get("retry-after");
  const seconds = problem?.retryAfter;
  const locked = status === 429 || name === "locked" || name === "rate_limited";
  return locked || status === 400 || status === 404 || status === 422
    ? new MfaError(
        locked ? "LOCKED" : "INVALID_CODE",
        problem?.detail ?? problem?.title ?? `HTTP ${status}`,
        {
          status,
          problem,
          attemptsLeft: problem?.attemptsLeft,
          retryAfterMs: locked
            ? ((header ? parseRetryAfter(header, serverNow) : null) ??
              (seconds === undefined ? undefined : seconds * 1000))
            : undefined,
        },
      )
    : null;
}
