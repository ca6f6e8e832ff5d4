/** The media type of RFC 9457 problem details. */
export const PROBLEM_CONTENT_TYPE = "application/problem+json";

const base = "urn:mfa-kit:problem:";

/**
 * Stable `type` URIs of the problems the reference API answers with (RFC 9457 §3.1.1). They are
 * URNs: identifiers to compare, not pages to fetch.
 */
export const MfaProblemTypes = {
  /** No MFA session yet: verify a factor, then replay. 401. */
  mfa_required: `${base}mfa-required`,
  /** The session is too old or too weak for this action (RFC 9470 `max_age`, `acr_values`). 401. */
  step_up_required: `${base}step-up-required`,
  /** The code is wrong or malformed; `attemptsLeft` says how many tries remain. 400. */
  invalid_code: `${base}invalid-code`,
  /** The code or challenge has expired; start a new challenge. 400. */
  code_expired: `${base}code-expired`,
  /** The code was accepted before and is never accepted again. 400. */
  code_reused: `${base}code-reused`,
  /** Too many requests; wait `retryAfter` seconds. 429. */
  rate_limited: `${base}rate-limited`,
  /** Too many failed attempts; the user is locked for `retryAfter` seconds. 429. */
  locked: `${base}locked`,
  /** No such factor for this user. 404. */
  factor_not_found: `${base}factor-not-found`,
  /** The MFA session token is unknown, expired or revoked. 401. */
  invalid_session: `${base}invalid-session`,
  /** The request is malformed: bad JSON, wrong types, too large, bad headers. 4xx. */
  invalid_request: `${base}invalid-request`,
} as const;

/** The short name of a problem type: `"invalid_code"`, `"locked"`, ... */
export type MfaProblemName = keyof typeof MfaProblemTypes;

/** The kinds of factor a user can enroll. */
export type FactorType = "totp" | "hotp" | "sms" | "email" | "webauthn";

/** A factor as the API shows it: never a secret, contacts masked. */
export interface FactorSummary {
  id: string;
  type: FactorType;
  /** `pending` until activated with a first code. */
  status: "pending" | "active";
  label?: string;
  /** A masked phone number or e-mail address (`+1 ••• ••• 4567`), for SMS/e-mail factors. */
  hint?: string;
  /** Epoch milliseconds. */
  createdAt: number;
  /** Epoch milliseconds. */
  lastUsedAt?: number;
}

/** Problem details (RFC 9457) with the mfa-kit extension members. */
export interface MfaProblem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  /** The factors the user can verify with, on `mfa_required` / `step_up_required`. */
  factors?: FactorSummary[];
  /** Whether the user has unused backup codes, on `mfa_required` / `step_up_required`. */
  backupCodes?: boolean;
  /** The challenge this problem belongs to. */
  challengeId?: string;
  /** Seconds to wait, on `locked` / `rate_limited` (also sent as `Retry-After`). */
  retryAfter?: number;
  /** Tries left before a lock, on `invalid_code`. */
  attemptsLeft?: number;
  /** Acceptable authentication context classes, on `step_up_required`. */
  acrValues?: string[];
  /** Maximum age in seconds of the last verification, on `step_up_required`. */
  maxAge?: number;
  [extension: string]: unknown;
}

const statusOf: Record<MfaProblemName, number> = {
  mfa_required: 401,
  step_up_required: 401,
  invalid_code: 400,
  code_expired: 400,
  code_reused: 400,
  rate_limited: 429,
  locked: 429,
  factor_not_found: 404,
  invalid_session: 401,
  invalid_request: 400,
};

const titleOf: Record<MfaProblemName, string> = {
  mfa_required: "Multi-factor authentication required",
  step_up_required: "A fresh verification is required",
  invalid_code: "Invalid code",
  code_expired: "Code expired",
  code_reused: "Code already used",
  rate_limited: "Too many requests",
  locked: "Too many failed attempts",
  factor_not_found: "Factor not found",
  invalid_session: "Invalid MFA session",
  invalid_request: "Invalid request",
};

/**
 * Builds a problem details object of one of the {@link MfaProblemTypes}, with its usual status and
 * title; `extra` adds or overrides members (`detail`, `status`, `attemptsLeft`, ...).
 *
 * @example problem("locked", { retryAfter: 30 })
 */
export function problem(name: MfaProblemName, extra: Partial<MfaProblem> = {}): MfaProblem {
  return { type: MfaProblemTypes[name], title: titleOf[name], status: statusOf[name], ...extra };
}

/** Whether `body` looks like RFC 9457 problem details: an object with a string `type`. */
export function isProblem(body: unknown): body is MfaProblem {
  return (
    typeof body === "object" &&
    body !== null &&
    typeof (body as { type?: unknown }).type === "string" &&
    (typeof (body as { status?: unknown }).status === "number" ||
      (body as { status?: unknown }).status === undefined)
  );
}

/** The short name of a problem's type (`"invalid_code"`), or `undefined` for a foreign type. */
export function problemName(body: unknown): MfaProblemName | undefined {
  if (!isProblem(body)) return undefined;
  for (const name in MfaProblemTypes) {
    if (MfaProblemTypes[name as MfaProblemName] === body.type) return name as MfaProblemName;
  }
  return undefined;
}
