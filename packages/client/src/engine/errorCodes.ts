import type { MfaProblemCode } from "@mfa-kit/protocol/vocabulary";

/**
 * Why an {@link MfaError} was thrown. Declared once here; the error's `code` is one of these.
 *
 * - `REFRESH_FAILED`: `refreshAccessToken` failed or gave no token; every waiting request rejects.
 * - `STEP_UP_REQUIRED`: the API asked for MFA and no challenge handler is set (`challenge` tells what).
 * - `STEP_UP_CANCELLED`: the challenge handler threw, its signal aborted, or `cancelChallenge()` ran.
 * - `STEP_UP_FAILED`: the verification could not complete, or the API rejected a fresh session.
 * - `INVALID_CODE`: the API rejected an answer (`attemptsLeft` when known).
 * - `ADDITIONAL_FACTOR_REQUIRED`: the answer was right, but the API asks for another factor now (the
 *   new `factors` are in the pending challenge), e.g. after a sign-in from another country.
 * - `LOCKED`: too many failed answers; wait `retryAfterMs`.
 * - `SERVICE_UNAVAILABLE`: the API could not answer now (503 `service_unavailable`, 500
 *   `internal_error` or another 5xx); nothing was decided, not a lock. Try again (after `retryAfterMs` when given);
 *   requests that may be repeated are retried by the retryer first.
 * - `DELIVERY_FAILED`: the SMS / e-mail code could not be sent (502 `delivery_failed`); not a lock,
 *   ask for a new code.
 * - `RETRY_EXHAUSTED`: retries, the retry window or `maxRetryAfterMs` ran out (`attempts`, `response`).
 * - `NETWORK`: the request never got a response.
 * - `TIMEOUT`: no response within `timeoutMs`.
 * - `ABORTED`: the caller's `AbortSignal` aborted.
 * - `HTTP`: a non-2xx answer to an `mfa.api` call that is none of the above.
 * - `WEBAUTHN_FAILED`: a security key or passkey could not be used (the browser's WebAuthn call
 *   failed, its error as `cause`): the `code` of the error the step-up of `@mfa-kit/react` shows.
 *
 * The codes of the API's problems (`STEP_UP_REQUIRED`, `INVALID_CODE`, `LOCKED`,
 * `SERVICE_UNAVAILABLE`, `DELIVERY_FAILED`) come from `MfaProblemTable` of
 * `@mfa-kit/protocol/vocabulary`, which gives each problem its code.
 */
export type MfaErrorCode =
  | MfaProblemCode
  | "REFRESH_FAILED"
  | "STEP_UP_CANCELLED"
  | "STEP_UP_FAILED"
  | "ADDITIONAL_FACTOR_REQUIRED"
  | "WEBAUTHN_FAILED"
  | "RETRY_EXHAUSTED"
  | "NETWORK"
  | "TIMEOUT"
  | "ABORTED"
  | "HTTP";
