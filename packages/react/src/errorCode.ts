import type { MfaErrorCode } from "@mfa-kit/client";
import type { MfaProblemName } from "@mfa-kit/protocol";

/**
 * A word {@link errorCode} answers: an `MfaError` code or a problem's name, both from the
 * protocol's vocabulary (`MfaProblemTable`); messages keyed by one of these are checked against it.
 */
export type ErrorWord = MfaErrorCode | MfaProblemName;

/**
 * What went wrong, in one word for choosing a message: the `MfaError` code (`INVALID_CODE`,
 * `LOCKED`, `NETWORK`, `SERVICE_UNAVAILABLE`, `DELIVERY_FAILED` ...), or the name of the kit's
 * problem (`code_expired`, `code_reused` ...) of a rejection the client reports more generally.
 */
export function errorCode(error: unknown): ErrorWord | undefined {
  // The client's `MfaError` names the problem it carries.
  const e = error as { code?: unknown; problemName?: MfaProblemName } | null;
  const name = e?.problemName;
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
