import { type HeaderSource, headerValue } from "./headers";
import { defined, integer, quote } from "./values";
import { parseWwwAuthenticate } from "./wwwAuthenticate";

/** The error code of an RFC 9470 step-up challenge. */
export const INSUFFICIENT_USER_AUTHENTICATION = "insufficient_user_authentication";

/** What an RFC 9470 step-up challenge asks for. */
export interface StepUpChallenge {
  /** Acceptable authentication context classes, in order of preference (`acr_values`). */
  acrValues: string[];
  /** Maximum seconds since the last verification (`max_age`); 0 demands a fresh one. */
  maxAge?: number;
  /** Human-readable reason (`error_description`). */
  errorDescription?: string;
  /** The scope the token needs (`scope`, RFC 6750). */
  scope?: string;
}

/**
 * Reads the RFC 9470 step-up challenge out of a `WWW-Authenticate` value (or from response headers):
 * the `Bearer` challenge whose `error` is `insufficient_user_authentication`. Returns `null` when
 * there is none. `acr_values` is split on spaces; `max_age` is kept when it is a non-negative integer
 * of at most 15 digits, sent as a token or a quoted string, and ignored otherwise. Never throws.
 *
 * @example parseStepUpChallenge('Bearer error="insufficient_user_authentication", max_age=5')
 * // { acrValues: [], maxAge: 5 }
 */
export function parseStepUpChallenge(
  value: string | HeaderSource | null | undefined,
): StepUpChallenge | null {
  const raw = typeof value === "string" ? value : headerValue(value, "www-authenticate");
  for (const { scheme, params: p } of parseWwwAuthenticate(raw)) {
    if (scheme.toLowerCase() === "bearer" && p.error === INSUFFICIENT_USER_AUTHENTICATION) {
      return defined({
        acrValues: p.acr_values?.split(" ").filter(Boolean) ?? [],
        maxAge: integer(p.max_age),
        errorDescription: p.error_description,
        scope: p.scope,
      });
    }
  }
  return null;
}

/**
 * Formats an RFC 9470 step-up challenge as a `WWW-Authenticate` value that
 * {@link parseStepUpChallenge} reads back unchanged for every representable input: non-empty ACR
 * values without spaces, a `maxAge` below 10^15 (floored; negative gives 0; NaN and larger values
 * are left out), and text made of printable ASCII other than `"` and `\`. Any other character
 * becomes `?` (RFC 6750 §3 allows no more), so the value is always a safe header: no CR, no LF.
 * Every value is sent as a quoted-string, as in the examples of RFC 9470.
 *
 * @example formatStepUpChallenge({ acrValues: ["mfa"], maxAge: 300 })
 * // 'Bearer error="insufficient_user_authentication", acr_values="mfa", max_age="300"'
 */
export function formatStepUpChallenge(challenge: Partial<StepUpChallenge> = {}): string {
  const { acrValues = [], maxAge, errorDescription, scope } = challenge;
  const age = Math.max(0, Math.floor(maxAge!));
  const params = {
    error_description: errorDescription,
    acr_values: acrValues.join(" ") || undefined,
    max_age: age < 1e15 ? age : undefined,
    scope,
  };
  let out = `Bearer error="${INSUFFICIENT_USER_AUTHENTICATION}"`;
  for (const [name, v] of Object.entries(params))
    if (v !== undefined) out += `, ${name}=${quote(v)}`;
  return out;
}
