/** The media type of RFC 9457 problem details. */
export const PROBLEM_CONTENT_TYPE = "application/problem+json";

const BASE = "urn:mfa-kit:problem:";

// The problems of the reference API and their usual HTTP status. Type URIs and titles derive from
// the names: `invalid_code` is `urn:mfa-kit:problem:invalid-code`, titled "Invalid code". The client
// code of each is beside it in `MfaProblemTable` (./problems.ts), which the compiler holds to these
// names; the two stay apart so that browsers load only the statuses.
export const STATUS = {
  /** No MFA session yet: verify a factor, then replay. */
  mfa_required: 401,
  /** The session is too old or too weak for this action (RFC 9470 `max_age`, `acr_values`). */
  step_up_required: 401,
  /** The code is wrong or malformed; `attemptsLeft` says how many tries remain. */
  invalid_code: 400,
  /** The code or challenge has expired; start a new challenge. */
  code_expired: 400,
  /** The code was accepted before and is never accepted again. */
  code_reused: 400,
  /** Too many requests; wait `retryAfter` seconds. */
  rate_limited: 429,
  /** Too many failed attempts; the user is locked for `retryAfter` seconds. */
  locked: 429,
  /** No such factor for this user. */
  factor_not_found: 404,
  /** The MFA session token is unknown, expired or revoked. */
  invalid_session: 401,
  /** The request is malformed: bad JSON, wrong types, too large, bad headers. */
  invalid_request: 400,
  /** The server cannot answer now (its store is unreachable); retry after `retryAfter` seconds. */
  service_unavailable: 503,
  /** The SMS / e-mail code could not be delivered; ask for a new one. */
  delivery_failed: 502,
  /** An unexpected fault on the server; nothing was decided. */
  internal_error: 500,
} as const;

/** The short name of a problem type: `"invalid_code"`, `"locked"`, ... */
export type MfaProblemName = keyof typeof STATUS;

type Kebab<S extends string> = S extends `${infer A}_${infer B}` ? `${A}-${Kebab<B>}` : S;

/**
 * Stable `type` URIs of the problems the reference API answers with (RFC 9457 §3.1.1), by name:
 * `MfaProblemTypes.invalid_code` is `"urn:mfa-kit:problem:invalid-code"`. They are URNs: identifiers
 * to compare, not pages to fetch.
 *
 * | name | status | meaning |
 * |---|---|---|
 * | mfa_required | 401 | No MFA session yet: verify a factor, then replay. |
 * | step_up_required | 401 | The session is too old or too weak (RFC 9470 `max_age`, `acr_values`). |
 * | invalid_code | 400 | Wrong or malformed code; `attemptsLeft` says how many tries remain. |
 * | code_expired | 400 | The code or challenge has expired; start a new challenge. |
 * | code_reused | 400 | The code was accepted before and is never accepted again. |
 * | rate_limited | 429 | Too many requests; wait `retryAfter` seconds. |
 * | locked | 429 | Too many failed attempts; locked for `retryAfter` seconds. |
 * | factor_not_found | 404 | No such factor for this user. |
 * | invalid_session | 401 | The MFA session token is unknown, expired or revoked. |
 * | invalid_request | 400 | Malformed request: bad JSON, wrong types, too large, bad headers. |
 * | service_unavailable | 503 | The server cannot answer now; retry after `retryAfter` seconds. |
 * | delivery_failed | 502 | The SMS / e-mail code could not be delivered; ask for a new one. |
 * | internal_error | 500 | An unexpected fault on the server; nothing was decided. |
 */
// Built by a pure call: a bundle that uses other names of this entry only leaves the table out.
export const MfaProblemTypes = /* @__PURE__ */ (() =>
  Object.fromEntries(
    Object.keys(STATUS).map((name) => [name, BASE + name.replace(/_/g, "-")]),
  ))() as { readonly [K in MfaProblemName]: `${typeof BASE}${Kebab<K>}` };

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

/**
 * Why a refused code was probably wrong, on `invalid_code` (the code is refused and counted all
 * the same): `authenticator_clock_behind` — it is the code of a past step (`behindS` seconds ago),
 * so the authenticator's clock is late; `algorithm_mismatch` — it is right under another algorithm
 * or digit count, so the authenticator was set up with other settings.
 */
export type VerifyHint = "authenticator_clock_behind" | "algorithm_mismatch";

/** Which clock is off when the server's and a device's differ: the server's, or the client's. */
export type ClockSide = "server" | "client";

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
  /** Seconds to wait, on `locked` / `rate_limited` / `service_unavailable` (also sent as `Retry-After`). */
  retryAfter?: number;
  /** Tries left before a lock, on `invalid_code`. */
  attemptsLeft?: number;
  /** Acceptable authentication context classes, on `step_up_required`. */
  acrValues?: string[];
  /** Maximum age in seconds of the last verification, on `step_up_required`. */
  maxAge?: number;
  /** Why the code was probably wrong, on `invalid_code` (see {@link VerifyHint}). */
  hint?: VerifyHint;
  /** With `hint: "authenticator_clock_behind"`: how many seconds the authenticator's clock is behind. */
  behindS?: number;
  /**
   * Which clock is off when the server's and the device's differ, on step-up and verify problems
   * of a server that checks its own clock (`clockCheck`).
   */
  clockSide?: ClockSide;
  [extension: string]: unknown;
}

/**
 * Builds a problem details object of one of the {@link MfaProblemTypes}, with its usual status and a
 * title derived from its name (`invalid_code` → "Invalid code", `mfa_required` → "MFA required");
 * `extra` adds or overrides members (`detail`, `status`, `attemptsLeft`, ...).
 *
 * @example problem("locked", { retryAfter: 30 })
 * // { type: "urn:mfa-kit:problem:locked", title: "Locked", status: 429, retryAfter: 30 }
 */
export function problem(name: MfaProblemName, extra: Partial<MfaProblem> = {}): MfaProblem {
  return {
    type: MfaProblemTypes[name],
    title: name.replace(/^(mfa|.)/, (first) => first.toUpperCase()).replace(/_/g, " "),
    status: STATUS[name],
    ...extra,
  };
}

/**
 * Whether `body` looks like RFC 9457 problem details: an object with a string `type`. (Members of
 * the wrong type do not disqualify it; RFC 9457 §3.1 says to ignore them.)
 */
export function isProblem(body: unknown): body is MfaProblem {
  return typeof body === "object" && typeof (body as Partial<MfaProblem> | null)?.type === "string";
}

/** The short name of a problem's type (`"invalid_code"`), or `undefined` for a foreign type. */
export function problemName(body: unknown): MfaProblemName | undefined {
  const type = (body as Partial<MfaProblem> | null | undefined)?.type;
  return (Object.keys(STATUS) as MfaProblemName[]).find((name) => MfaProblemTypes[name] === type);
}
