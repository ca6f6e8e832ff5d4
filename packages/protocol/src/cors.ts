import { MfaHeaders } from "./headers";

/**
 * The request headers a client of an MFA-protected API sends, which a cross-origin API must allow
 * in its preflight answers (`Access-Control-Allow-Headers`).
 */
export const CORS_REQUEST_HEADERS: readonly string[] = [
  MfaHeaders.authorization,
  "Content-Type",
  MfaHeaders.sessionToken,
  MfaHeaders.mfaToken,
  MfaHeaders.idempotencyKey,
];

/**
 * The response headers the client reads, which a cross-origin API must expose to scripts
 * (`Access-Control-Expose-Headers`): without them a browser hides step-up challenges, backoff hints
 * and the server's clock.
 */
export const CORS_EXPOSED_HEADERS: readonly string[] = [
  MfaHeaders.wwwAuthenticate,
  MfaHeaders.retryAfter,
  MfaHeaders.rateLimit,
  MfaHeaders.rateLimitPolicy,
  "Date",
];
