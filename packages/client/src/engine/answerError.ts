import { isProblem, parseRetryAfter, problemName } from "@mfa-kit/protocol";
import { MfaError } from "./mfaError";
import type { WireResponse } from "./types";

/**
 * The error for an answer the API turned down: `LOCKED` for a lock or rate limit, with
 * `retryAfterMs` from `Retry-After` (read on the server's clock) or the body's `retryAfter`;
 * `DELIVERY_FAILED` for a 5xx `delivery_failed` (the code could not be sent) and `SERVICE_UNAVAILABLE`
 * (with `retryAfterMs` when given) for any other 5xx (an outage, a fault): neither is a lock;
 * `ADDITIONAL_FACTOR_REQUIRED` for a 401 `mfa_required` with `additionalFactor` (the answer was
 * right, and another factor is needed now); `INVALID_CODE` for a wrong, expired, reused or malformed
 * code or an unknown factor, with `attemptsLeft` (and the problem's `hint`, `behindS`, `clockSide`). `null` when the failure is not about the answer.
 */
export function answerError(
  { status, headers, body }: WireResponse,
  serverNow: number,
): MfaError | null {
  const problem = isProblem(body) ? body : null;
  const name = problemName(problem);
  const locked = status === 429 || name === "locked" || name === "rate_limited";
  const code = locked
    ? "LOCKED"
    : status > 499
      ? name === "delivery_failed"
        ? "DELIVERY_FAILED"
        : "SERVICE_UNAVAILABLE"
      : status === 401 && name === "mfa_required" && problem?.additionalFactor === true
        ? "ADDITIONAL_FACTOR_REQUIRED"
        : [400, 404, 422].includes(status)
          ? "INVALID_CODE"
          : null;
  const seconds = problem?.retryAfter;
  return (
    code &&
    new MfaError(code, problem?.detail ?? problem?.title ?? `HTTP ${status}`, {
      status,
      problem,
      attemptsLeft: problem?.attemptsLeft,
      hint: problem?.hint,
      behindS: problem?.behindS,
      clockSide: problem?.clockSide,
      // Sent with a lock or an outage; the step-up counts down a lock only.
      retryAfterMs:
        parseRetryAfter(headers.get("retry-after"), serverNow) ??
        (seconds === undefined ? undefined : seconds * 1000),
    })
  );
}
