import { type HeaderSource, headerValue } from "./headers";
import { defined } from "./values";
import { parseWwwAuthenticate } from "./wwwAuthenticate";

/** The error code of a claims challenge (OpenID Connect claims request, Microsoft identity platform). */
export const INSUFFICIENT_CLAIMS = "insufficient_claims";

/** What a claims challenge asks for. */
export interface ClaimsChallenge {
  /** The decoded claims request, e.g. `{ access_token: { acrs: { essential: true, value: "c1" } } }`. */
  claims: Record<string, unknown>;
  /** The same claims request as JSON text: what MSAL's `claims` and an authorization request take. */
  claimsJson: string;
  /** Human-readable reason (`error_description`). */
  errorDescription?: string;
}

/**
 * Reads a claims challenge out of a `WWW-Authenticate` value (or from response headers): the
 * `Bearer` challenge whose `error` is `insufficient_claims` and whose `claims` is base64url (or
 * base64) of a UTF-8 JSON object, as the Microsoft identity platform sends for Conditional Access
 * authentication contexts. Returns `null` when there is none or `claims` does not decode to an
 * object. Never throws.
 *
 * @example parseClaimsChallenge('Bearer error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnt9fQ"')
 * // { claims: { access_token: {} }, claimsJson: '{"access_token":{}}' }
 */
export function parseClaimsChallenge(
  value: string | HeaderSource | null | undefined,
): ClaimsChallenge | null {
  const raw = typeof value === "string" ? value : headerValue(value, "www-authenticate");
  for (const { scheme, params: p } of parseWwwAuthenticate(raw)) {
    if (!/^bearer$/i.test(scheme) || p.error !== INSUFFICIENT_CLAIMS) continue;
    const claimsJson = decode(p.claims);
    if (claimsJson === undefined) return null;
    try {
      const claims: unknown = JSON.parse(claimsJson);
      if (claims === null || typeof claims !== "object" || Array.isArray(claims)) return null;
      return defined({
        claims: claims as Record<string, unknown>,
        claimsJson,
        errorDescription: p.error_description,
      });
    } catch {
      return null;
    }
  }
  return null;
}

/** base64url or base64 (padding optional) of UTF-8 text, decoded, or `undefined`. */
function decode(value: string | undefined): string | undefined {
  if (!value || !/^[\w+/-]+={0,2}$/.test(value)) return undefined;
  const b64 = value.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/");
  if (b64.length % 4 === 1) return undefined;
  try {
    const binary = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
