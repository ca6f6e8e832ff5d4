import { MfaHeaders } from "@mfa-kit/protocol";
import type { MfaRequestOptions } from "./requestOptions";

/** The client's headers; bit `i` of {@link RequestContext.own} stands for `CLIENT_HEADERS[i]`. */
const CLIENT_HEADERS = [
  MfaHeaders.authorization,
  MfaHeaders.sessionToken,
  MfaHeaders.mfaToken,
  MfaHeaders.idempotencyKey,
];
const LOWER = CLIENT_HEADERS.map((name) => name.toLowerCase());
/** Headers that never follow a redirect to an origin outside the allowed ones (lower case). */
export const CREDENTIAL_HEADERS = [...LOWER.slice(0, 3), "cookie", "proxy-authorization"];
/** The bits of {@link RequestContext.own}. */
export const OWN_AUTHORIZATION = 1;
export const OWN_IDEMPOTENCY_KEY = 8;

/**
 * The engine's memory of one logical request across its attempts and replays: what was sent, which
 * causes it was already replayed for, its Idempotency-Key, and which headers the caller set.
 */
export interface RequestContext {
  /** Makes it no plain object, which axios would deep-copy into each replay's config. */
  [Symbol.toStringTag]: string;
  /** Upper-case method (a 303 redirect turns it into GET). */
  method: string;
  /** The caller's signal. */
  signal: AbortSignal | null | undefined;
  /** The absolute URL of the request (from `target`; a method shared by all of an adapter's requests). */
  url(this: RequestContext): string;
  /** What `url()` reads: the axios config, or the current URL for fetch. */
  target: unknown;
  /** A one-shot call: a challenge is answered inline with `X-MFA-Token` instead of a session. */
  oneShot: boolean | undefined;
  /** One of the engine's own requests (verify, session refresh, factors): never stepped up. */
  internal: boolean | undefined;
  /** When the first attempt started (local epoch ms): the retry window counts from here. */
  start: number;
  /** When the current attempt was sent (0 before the first): the clock's sample needs it. */
  sentAt: number;
  /** Retries made so far. */
  retries: number;
  /** The client's headers the caller set itself (bits, see `CLIENT_HEADERS`): never touched. */
  own: number;
  /** Whether credentials go with the current attempt (its origin is allowed). */
  creds?: boolean;
  /** The access token and session token of the current attempt. */
  token?: string;
  session?: string;
  /** The token generation at send time: a refresh since then means "replay, don't refresh". */
  gen?: number;
  /** The code of a one-shot call's replay. */
  mfaToken?: string;
  /** The Idempotency-Key, kept across every replay. */
  key?: string;
  /** Replayed once already for a token refresh / a newer session / a verification. */
  refreshed?: boolean;
  resent?: boolean;
  stepped?: boolean;
  /** The body cannot be sent twice (a stream): no retry, no replay. */
  stream?: boolean;
}

/** A new request context; `url` gives the request's absolute URL (from `target`) when needed. */
export const requestContext = (
  method: string,
  signal: AbortSignal | null | undefined,
  url: (this: RequestContext) => string,
  target: unknown,
  options?: MfaRequestOptions,
  internal?: boolean,
): RequestContext => ({
  // Not a plain object: axios then keeps it by reference when it merges a config for a replay.
  [Symbol.toStringTag]: "MfaRequest",
  method: method.toUpperCase(),
  signal,
  url,
  target,
  oneShot: options?.oneShot,
  internal,
  start: Date.now(),
  sentAt: 0,
  retries: 0,
  own: 0,
});

/** Notes a header the caller set (any case): if it is one of the client's, it is left alone. */
export function markOwn(ctx: RequestContext, name: string): void {
  const i = LOWER.indexOf(name.toLowerCase());
  if (i >= 0) ctx.own |= 1 << i;
}

/**
 * Writes this attempt's credentials into `h` with plain property writes (fast on axios's header
 * object; a fresh record for fetch), removes ones an earlier attempt had but this one must not,
 * and notes the send time.
 */
export function applyHeaders(ctx: RequestContext, h: Record<string, unknown>): void {
  if (ctx.creds) {
    for (let i = 0; i < 4; i++) {
      if ((ctx.own >> i) & 1) continue;
      const name = CLIENT_HEADERS[i]!;
      const value =
        i === 0
          ? ctx.token && `Bearer ${ctx.token}`
          : i === 1
            ? ctx.session
            : i === 2
              ? ctx.mfaToken
              : ctx.key;
      if (value) h[name] = value;
      else if (ctx.sentAt) delete h[name];
    }
  }
  ctx.sentAt = Date.now();
}
