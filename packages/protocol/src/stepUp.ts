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
  /** The scope the token needs (`scope`). */
  scope?: string;
}

/** Anything with a case-insensitive `get`, like the Fetch API's `Headers`. */
export interface HeadersLike {
  get(name: string): string | null;
}

/**
 * Reads the RFC 9470 step-up challenge out of a `WWW-Authenticate` value (or a `Headers` object):
 * the `Bearer` challenge whose `error` is `insufficient_user_authentication`. Returns `null` when
 * there is none. `acr_values` is split on spaces; `max_age` is kept when it is a non-negative integer
 * (sent as a token or a quoted string) and ignored otherwise. Never throws.
 *
 * @example parseStepUpChallenge('Bearer error="insufficient_user_authentication", max_age=5')
 * // { acrValues: [], maxAge: 5 }
 */
export function parseStepUpChallenge(value: string | HeadersLike): StepUpChallenge | null {
  const raw = typeof value === "string" ? value : value?.get?.("www-authenticate");
  for (const { scheme, params } of parseWwwAuthenticate(raw ?? "")) {
    if (scheme.toLowerCase() !== "bearer" || params.error !== INSUFFICIENT_USER_AUTHENTICATION) {
      continue;
    }
    const challenge: StepUpChallenge = {
      acrValues: (params.acr_values ?? "").split(" ").filter(Boolean),
    };
    const maxAge = params.max_age;
    if (maxAge !== undefined && /^\d{1,15}$/.test(maxAge)) challenge.maxAge = Number(maxAge);
    if (params.error_description !== undefined) {
      challenge.errorDescription = params.error_description;
    }
    if (params.scope !== undefined) challenge.scope = params.scope;
    return challenge;
  }
  return null;
}

// Characters a quoted-string can carry: HTAB, SP, VCHAR; anything else becomes "?". This also
// keeps CR and LF out of a header value (no header injection through a description).
const quote = (text: string) =>
  `"${text.replace(/[^\t\x20-\x7e]/g, "?").replace(/["\\]/g, "\\$&")}"`;

/**
 * Formats an RFC 9470 step-up challenge as a `WWW-Authenticate` value that
 * {@link parseStepUpChallenge} reads back unchanged. ACR values containing spaces cannot be
 * represented and are dropped; `maxAge` is floored to a non-negative integer; characters outside
 * printable ASCII in the description are replaced by `?`.
 *
 * @example formatStepUpChallenge({ acrValues: ["mfa"], maxAge: 300 })
 * // 'Bearer error="insufficient_user_authentication", acr_values="mfa", max_age=300'
 */
export function formatStepUpChallenge(
  challenge: Partial<Omit<StepUpChallenge, "scope">> & { scope?: string } = {},
): string {
  let out = `Bearer error="${INSUFFICIENT_USER_AUTHENTICATION}"`;
  if (challenge.errorDescription !== undefined) {
    out += `, error_description=${quote(challenge.errorDescription)}`;
  }
  const acr = (challenge.acrValues ?? []).filter((v) => v && !/\s/.test(v));
  if (acr.length > 0) out += `, acr_values=${quote(acr.join(" "))}`;
  if (challenge.maxAge !== undefined && Number.isFinite(challenge.maxAge)) {
    out += `, max_age=${Math.max(0, Math.floor(challenge.maxAge))}`;
  }
  if (challenge.scope !== undefined) out += `, scope=${quote(challenge.scope)}`;
  return out;
}
