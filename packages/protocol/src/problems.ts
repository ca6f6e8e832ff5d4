import { type FactorType, type MfaProblemName, MfaProblemTypes, STATUS } from "./problem";

/** The kinds of factor a user verifies with a one-time code (all but `webauthn`). */
export const CODE_FACTOR_TYPES = [
  "totp",
  "hotp",
  "sms",
  "email",
] as const satisfies readonly FactorType[];

/** A kind of factor verified with a one-time code. */
export type CodeFactorType = (typeof CODE_FACTOR_TYPES)[number];

/**
 * The `code` of the `MfaError` a client rejects with when the API answers with a problem: to a
 * verification or an activation (`INVALID_CODE`, `LOCKED`, ...), or to any call that needs MFA
 * (`STEP_UP_REQUIRED`, when no challenge handler answers it). The compiler holds the keys to the
 * problem names: a problem without a client code, or a code for no problem, does not build.
 */
const CLIENT_CODE = {
  mfa_required: "STEP_UP_REQUIRED",
  step_up_required: "STEP_UP_REQUIRED",
  invalid_code: "INVALID_CODE",
  code_expired: "INVALID_CODE",
  code_reused: "INVALID_CODE",
  rate_limited: "LOCKED",
  locked: "LOCKED",
  factor_not_found: "INVALID_CODE",
  invalid_session: "STEP_UP_REQUIRED",
  invalid_request: "INVALID_CODE",
  service_unavailable: "SERVICE_UNAVAILABLE",
  delivery_failed: "DELIVERY_FAILED",
  internal_error: "SERVICE_UNAVAILABLE",
} as const satisfies { [K in MfaProblemName]: Uppercase<string> };

/** The `MfaError` code a client gives a problem of the reference API. */
export type MfaProblemCode = (typeof CLIENT_CODE)[MfaProblemName];

/** One problem of the reference API, as {@link MfaProblemTable} lists it. */
export interface MfaProblemInfo<K extends MfaProblemName = MfaProblemName> {
  /** The short name: `"invalid_code"`. Servers use it as a failure's `reason`. */
  name: K;
  /** The `type` URI: `"urn:mfa-kit:problem:invalid-code"`. */
  type: (typeof MfaProblemTypes)[K];
  /** The usual HTTP status. */
  status: (typeof STATUS)[K];
  /** The `code` of the `MfaError` a client rejects with. */
  clientCode: (typeof CLIENT_CODE)[K];
}

/**
 * The vocabulary of the reference API's problems in one table, by name: each problem's name (the
 * `reason` of a server's failure), `type` URI, usual status and the client's `MfaError` code.
 * `MfaProblemTypes`, `problem()`, the server's reasons and the client's codes derive from it.
 *
 * @example MfaProblemTable.locked
 * // { name: "locked", type: "urn:mfa-kit:problem:locked", status: 429, clientCode: "LOCKED" }
 */
// Pure, so that a bundle importing something else of the subpath drops the table.
export const MfaProblemTable = /* @__PURE__ */ Object.fromEntries(
  /* @__PURE__ */ Object.keys(STATUS).map((name) => {
    const key = name as MfaProblemName;
    const info = { name, type: MfaProblemTypes[key], status: STATUS[key] };
    return [name, { ...info, clientCode: CLIENT_CODE[key] }];
  }),
) as { readonly [K in MfaProblemName]: Readonly<MfaProblemInfo<K>> };
