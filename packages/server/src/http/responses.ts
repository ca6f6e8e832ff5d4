import {
  type FactorSummary,
  MfaHeaders,
  type MfaProblem,
  type MfaProblemName,
  PROBLEM_CONTENT_TYPE,
  problem,
  type StepUpChallenge,
} from "@mfa-kit/protocol";
import {
  formatRateLimit,
  formatRateLimitPolicy,
  formatStepUpChallenge,
} from "@mfa-kit/protocol/format";
import type { MfaServer } from "../server";
import { StoreUnavailableError } from "../stores/storeUnavailable";
import type { VerifyFailure } from "../verify";

const RATE_POLICY = "mfa";

/** Headers every answer carries: the server's `Date` (clients correct clock drift with it), no caching. */
function baseHeaders(mfa: MfaServer, contentType?: string): Headers {
  const headers = new Headers({
    Date: new Date(mfa.now()).toUTCString(),
    "Cache-Control": "no-store",
  });
  if (contentType) headers.set("Content-Type", contentType);
  return headers;
}

/** A JSON answer. */
export function json(mfa: MfaServer, body: unknown, status = 200, extra?: HeadersInit): Response {
  const headers = baseHeaders(mfa, "application/json");
  if (extra) for (const [k, v] of new Headers(extra)) headers.set(k, v);
  return new Response(JSON.stringify(body), { status, headers });
}

/** An empty answer (204). */
export function noContent(mfa: MfaServer): Response {
  return new Response(null, { status: 204, headers: baseHeaders(mfa) });
}

/** An `application/problem+json` answer. */
function problemResponse(mfa: MfaServer, body: MfaProblem, extra?: HeadersInit): Response {
  const headers = baseHeaders(mfa, PROBLEM_CONTENT_TYPE);
  if (extra) for (const [k, v] of new Headers(extra)) headers.set(k, v);
  return new Response(JSON.stringify(body), { status: body.status, headers });
}

/** A problem of one of the protocol's types. */
export const fail = (
  mfa: MfaServer,
  name: MfaProblemName,
  extra: Partial<MfaProblem> = {},
  headers?: HeadersInit,
) => problemResponse(mfa, problem(name, extra), headers);

/** 400 `invalid_request` (or another 4xx status) for malformed input. */
export const badRequest = (mfa: MfaServer, detail: string, status = 400, headers?: HeadersInit) =>
  fail(mfa, "invalid_request", { status, detail }, headers);

/**
 * 401 for a missing or rejected primary authentication: `Bearer error="invalid_token"` when the
 * request carried credentials (the client refreshes and replays), a plain `Bearer` otherwise.
 */
export function unauthenticated(mfa: MfaServer, hadCredentials: boolean): Response {
  return fail(
    mfa,
    "invalid_request",
    {
      status: 401,
      title: "Authentication required",
      detail: hadCredentials
        ? "The access token is invalid or expired."
        : "Sign in first: this call needs the app's access token.",
    },
    {
      [MfaHeaders.wwwAuthenticate]: hadCredentials ? 'Bearer error="invalid_token"' : "Bearer",
    },
  );
}

/** What the 401 step-up answers tell the user about their factors. */
export interface FactorHints {
  factors: FactorSummary[];
  backupCodes: boolean;
}

/**
 * A 401 with the RFC 9470 step-up challenge: `mfa_required` (no session), `invalid_session`
 * (unknown, expired or revoked) or `step_up_required` (too old or too weak, with `maxAge`).
 */
export function stepUp(
  mfa: MfaServer,
  name: "mfa_required" | "invalid_session" | "step_up_required",
  challenge: StepUpChallenge,
  hints: FactorHints | undefined,
  extra: Partial<MfaProblem> = {},
): Response {
  const body: Partial<MfaProblem> = { ...extra };
  if (hints) {
    body.factors = hints.factors;
    body.backupCodes = hints.backupCodes;
  }
  const side = mfa.clockCheck?.clockSide;
  if (side) body.clockSide = side;
  if (challenge.acrValues.length > 0) body.acrValues = challenge.acrValues;
  if (challenge.maxAge !== undefined) body.maxAge = challenge.maxAge;
  return fail(mfa, name, body, {
    [MfaHeaders.wwwAuthenticate]: formatStepUpChallenge(challenge),
  });
}

/** `Retry-After`, `RateLimit` and `RateLimit-Policy` for a 429 (or 503) lasting `retryAfterMs`. */
export function retryHeaders(retryAfterMs: number, policy: LimitHints) {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return {
    [MfaHeaders.retryAfter]: String(seconds),
    [MfaHeaders.rateLimit]: formatRateLimit(RATE_POLICY, 0, seconds),
    [MfaHeaders.rateLimitPolicy]: policyField(policy),
  };
}

/** The limiter policy as the `RateLimit-Policy` field shows it. */
export interface LimitHints {
  maxFailures: number;
  windowMs: number;
}

const policyField = (p: LimitHints) =>
  formatRateLimitPolicy(RATE_POLICY, p.maxFailures, p.windowMs / 1000);

/** `RateLimit` fields for a counted failure that did not lock: how many tries are left. */
const remainingHeaders = (attemptsLeft: number, policy: LimitHints) => ({
  [MfaHeaders.rateLimit]: formatRateLimit(RATE_POLICY, attemptsLeft, policy.windowMs / 1000),
  [MfaHeaders.rateLimitPolicy]: policyField(policy),
});

const DETAIL: Partial<Record<VerifyFailure["reason"], string>> = {
  invalid_code: "The code is wrong or malformed.",
  resync_required:
    "The code is far ahead of the expected counter: enter the next code from the device to resynchronise it.",
  code_expired: "The code or challenge has expired: start a new challenge.",
  code_reused: "This code was already used: wait for the next one.",
  factor_not_found: "No such factor for this user.",
  mfa_required: "Verify a factor first: this step needs a fresh MFA session.",
  invalid_request: "Send exactly one of code, webauthn or backupCode.",
  rate_limited: "Another verification for this user is in progress: retry in a moment.",
  suspended:
    "Too many failed codes: verify with a security key or a backup code, or ask support to unlock the account.",
  factors_changed:
    "The user's factors changed while the code was being checked: nothing was counted, retry in a moment.",
  additional_factor_required:
    "This sign-in comes from a new location: verify a second, different factor.",
};

/** The HTTP answer to a failed verification or activation (see the reference API). */
export function verifyFailure(
  mfa: MfaServer,
  failure: VerifyFailure,
  policy: LimitHints,
): Response {
  const detail = DETAIL[failure.reason];
  switch (failure.reason) {
    case "locked":
    case "rate_limited": {
      const retryAfterMs = failure.retryAfterMs ?? 1000;
      const retryAfter = Math.max(1, Math.ceil(retryAfterMs / 1000));
      return fail(
        mfa,
        failure.reason,
        { retryAfter, ...(detail ? { detail } : {}) },
        retryHeaders(retryAfterMs, policy),
      );
    }
    case "factors_changed": {
      // Nothing was decided or counted: like a store outage, a 503 the client retries shortly.
      const retryAfter = Math.max(1, Math.ceil((failure.retryAfterMs ?? 1000) / 1000));
      return fail(
        mfa,
        "service_unavailable",
        { retryAfter, detail: detail! },
        { [MfaHeaders.retryAfter]: String(retryAfter) },
      );
    }
    case "invalid_code":
    case "resync_required": {
      const extra: Partial<MfaProblem> = { detail: detail! };
      if (failure.reason === "resync_required") extra.resync = true;
      if (failure.hint) extra.hint = failure.hint;
      if (failure.behindS !== undefined) extra.behindS = failure.behindS;
      const side = mfa.clockCheck?.clockSide;
      if (side) extra.clockSide = side;
      if (failure.attemptsLeft === undefined) return fail(mfa, "invalid_code", extra);
      extra.attemptsLeft = failure.attemptsLeft;
      return fail(mfa, "invalid_code", extra, remainingHeaders(failure.attemptsLeft, policy));
    }
    case "code_expired":
    case "code_reused": {
      const extra: Partial<MfaProblem> = { detail: detail! };
      if (failure.attemptsLeft === undefined) return fail(mfa, failure.reason, extra);
      extra.attemptsLeft = failure.attemptsLeft;
      return fail(mfa, failure.reason, extra, remainingHeaders(failure.attemptsLeft, policy));
    }
    case "factor_not_found":
      return fail(mfa, "factor_not_found", { detail: detail! });
    case "suspended":
      // No countdown: code factors stay suspended until a WebAuthn or backup-code success.
      return fail(mfa, "locked", { status: 403, suspended: true, detail: detail! });
    case "mfa_required":
      // The handler asks for a step-up with the user's factors instead (`needsStepUp`); this is
      // the answer without them.
      return stepUp(mfa, "mfa_required", { acrValues: ["mfa"] }, undefined, { detail: detail! });
    case "additional_factor_required":
      return stepUp(
        mfa,
        "mfa_required",
        { acrValues: ["mfa"], errorDescription: "additional factor required" },
        { factors: failure.factors ?? [], backupCodes: failure.backupCodes ?? false },
        { detail: detail!, additionalFactor: true },
      );
    default:
      return badRequest(mfa, detail ?? "The request is malformed.");
  }
}

/**
 * 503 `service_unavailable` with `Retry-After`: the store is unreachable. The kit fails closed —
 * nothing is accepted — and clients retry after `retryAfterSeconds`.
 */
const unavailable = (mfa: MfaServer, retryAfterSeconds = 1): Response => {
  const retryAfter = Math.max(1, Math.ceil(retryAfterSeconds));
  return fail(
    mfa,
    "service_unavailable",
    { retryAfter, detail: "The service cannot answer right now: try again in a moment." },
    { [MfaHeaders.retryAfter]: String(retryAfter) },
  );
};

/** 500 `internal_error`: an unexpected fault. Nothing was decided; no stack trace leaves the server. */
const internalError = (mfa: MfaServer): Response =>
  fail(mfa, "internal_error", { detail: "Something went wrong on the server: try again." });

/** What an app's `onError` is told besides the error. */
export interface ErrorInfo {
  /** The request being answered. */
  request: Request;
}

/** The app's error hook (logging): never allowed to change or break the answer. */
export type OnError = (error: unknown, info: ErrorInfo) => void;

/**
 * The answer to an error thrown while serving `request`: 503 for a store outage, 500 otherwise,
 * after telling `onError` (whose own failure is swallowed).
 */
export function errorResponse(
  mfa: MfaServer,
  error: unknown,
  request: Request,
  onError: OnError | undefined,
): Response {
  try {
    onError?.(error, { request });
  } catch {
    // A logger that throws must not turn a 503 into something else.
  }
  return StoreUnavailableError.is(error)
    ? unavailable(mfa, error.retryAfterSeconds)
    : internalError(mfa);
}
