/**
 * Header names of the mfa-kit wire contract. HTTP field names are case-insensitive; these are the
 * canonical spellings the client sends and the server kit reads.
 */
export const MfaHeaders = {
  /** Primary authentication, the app's own access token: `Authorization: Bearer <token>`. */
  authorization: "Authorization",
  /** The MFA session obtained from a verification: `X-Session-Token: <token>`. */
  sessionToken: "X-Session-Token",
  /** A one-shot code sent inline with a single call (headless clients, one sensitive call). */
  mfaToken: "X-MFA-Token",
  /** Makes an unsafe request safe to replay (draft-ietf-httpapi-idempotency-key-header). */
  idempotencyKey: "Idempotency-Key",
  /** RFC 9110 §11.6.1: the challenges of a 401. */
  wwwAuthenticate: "WWW-Authenticate",
  /** RFC 9110 §10.2.3: how long to wait before retrying a 429 or 503. */
  retryAfter: "Retry-After",
  /** draft-ietf-httpapi-ratelimit-headers: the quota left. */
  rateLimit: "RateLimit",
  /** draft-ietf-httpapi-ratelimit-headers: the quota policies. */
  rateLimitPolicy: "RateLimit-Policy",
} as const;

/** One of the header names in {@link MfaHeaders}. */
export type MfaHeaderName = (typeof MfaHeaders)[keyof typeof MfaHeaders];

/** Anything with a case-insensitive `get`, like the Fetch API's `Headers`. */
export interface HeadersLike {
  get(name: string): string | null;
}

/**
 * Response headers as the parsers accept them: a `Headers`-like object, or a plain record such as
 * Node's `IncomingHttpHeaders` (names compared case-insensitively, array values joined with ", ").
 */
export type HeaderSource = HeadersLike | Record<string, unknown>;

/**
 * The value of the field `name` (any case) in `headers`, or `undefined` when it is absent or not a
 * string. Never throws on a malformed source.
 */
export function headerValue(
  headers: HeaderSource | null | undefined,
  name: string,
): string | undefined {
  const value =
    typeof headers?.get === "function"
      ? (headers as HeadersLike).get(name)
      : Object.entries(headers ?? {}).find(
          ([key]) => key.toLowerCase() === name.toLowerCase(),
        )?.[1];
  return Array.isArray(value) ? value.join(", ") : typeof value === "string" ? value : undefined;
}
