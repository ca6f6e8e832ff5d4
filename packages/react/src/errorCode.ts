import type { MfaErrorCode } from "@mfa-kit/client";
import { type MfaProblemName, problemName } from "@mfa-kit/protocol";

/**
 * A word {@link errorCode} answers: an `MfaError` code or a problem's name, both from the
 * protocol's vocabulary (`MfaProblemTable`); messages keyed by one of these are checked against it.
 */
export type ErrorWord = MfaErrorCode | MfaProblemName;

/**
 * What went wrong, in one word for choosing a message: the `MfaError` code (`INVALID_CODE`,
 * `LOCKED`, `NETWORK`, `SERVICE_UNAVAILABLE`, `DELIVERY_FAILED` ...), or the problem type (`code_expired`, `code_reused` ...) of a
 * rejection the client reports more generally.
 */
export function errorCode(error: unknown): ErrorWord | undefined {
  const e = error as { code?: unknown; problem?: unknown } | null;
  const name = problemName(e?.problem);
  const code = e?.code as MfaErrorCode | undefined;
  return name === "invalid_code"
    ? "INVALID_CODE"
    : name === "locked"
      ? "LOCKED"
      : // An outage, a fault or a failed delivery: whatever the problem, never a lock.
        code === "SERVICE_UNAVAILABLE" || code === "DELIVERY_FAILED"
        ? code
        : (name ?? code);
}
