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
const LENGTHS = LOWER.map((name) => name.length);
/** Headers that never follow a redirect to an origin outside the allowed ones (lower case). */
export const CREDENTIAL_HEADERS = [...LOWER.slice(0, 3), "cookie", "proxy-authorization"];
/** Upper-case forms of the usual methods. */
const METHODS = new Map(["get", "post", "put", "patch", "delete"].map((m) => [m, m.toUpperCase()]));
/** The bits of {@link RequestContext.own}. */
export const OWN_AUTHORIZATION = 1;
export const OWN_IDEMPOTENCY_KEY = 8;

/**
 * The engine's memory of one logical request across its attempts and replays: what was sent, which
 * causes it was already replayed for, its Idempotency-Key, and which headers the caller set.
 *
 * A class with every field set in the constructor: one object shape for all requests, created
 * without the shape changes an object literal grown field by field goes through. Its prototype is
 * not `Object.prototype`, so axios keeps it by reference when it merges a config for a replay,
 * instead of deep-copying it.
 */
export class RequestContext {
  // Declared, then set in the constructor: no class-field initialiser runs per request.
  /** Upper-case method (a 303 redirect turns it into GET). */
  declare method: string;
  /** The caller's signal. */
  declare readonly signal: AbortSignal | null | undefined;
  /** The absolute URL of the request, from `target` (one function for all of an adapter's requests). */
  declare readonly url: (this: RequestContext) => string;
  /** What `url()` reads: the axios config, or the current URL for fetch. */
  declare target: unknown;
  /** A one-shot call: a challenge is answered inline with `X-MFA-Token` instead of a session. */
  declare readonly oneShot: boolean | undefined;
  /** One of the engine's own requests (verify, session refresh, factors): never stepped up. */
  declare readonly internal: boolean | undefined;
  /** When the first attempt was sent (local epoch ms): the retry window counts from here. */
  declare start: number;
  /** When the current attempt was sent (0 before the first): the clock's sample needs it. */
  declare sentAt: number;
  /** Retries made so far. */
  declare retries: number;
  /** The client's headers the caller set itself (bits, see `CLIENT_HEADERS`): never touched. */
  declare own: number;
  /** Whether credentials go with the current attempt (its origin is allowed). */
  declare creds: boolean;
  /** The access token and session token of the current attempt. */
  declare token: string | undefined;
  declare session: string | undefined;
  /** The token generation at send time: a refresh since then means "replay, don't refresh". */
  declare gen: number;
  /** The code of a one-shot call's replay. */
  declare mfaToken: string | undefined;
  /** The Idempotency-Key, kept across every replay. */
  declare key: string | undefined;
  /** Replayed once already for a token refresh / a newer session / a verification. */
  declare refreshed: boolean;
  declare resent: boolean;
  declare stepped: boolean;
  /** The body cannot be sent twice (a stream): no retry, no replay. */
  declare stream: boolean;

  constructor(
    method: string,
    signal: AbortSignal | null | undefined,
    url: (this: RequestContext) => string,
    target: unknown,
    options?: MfaRequestOptions,
    internal?: boolean,
  ) {
    // axios gives lower-case methods: the common ones are looked up, not copied per request.
    this.method = METHODS.get(method) ?? method.toUpperCase();
    this.signal = signal;
    this.url = url;
    this.target = target;
    this.oneShot = options?.oneShot;
    this.internal = internal;
    this.start = 0;
    this.sentAt = 0;
    this.retries = 0;
    this.own = 0;
    this.creds = false;
    this.token = undefined;
    this.session = undefined;
    this.gen = 0;
    this.mfaToken = undefined;
    this.key = undefined;
    this.refreshed = false;
    this.resent = false;
    this.stepped = false;
    this.stream = false;
  }

  get [Symbol.toStringTag]() {
    return "MfaRequest";
  }
}

/** Notes a header the caller set (any case): if it is one of the client's, it is left alone. */
export function markOwn(ctx: RequestContext, name: string): void {
  // Most names differ in length from all four (Accept, Content-Type): no lower-case copy then.
  if (!LENGTHS.includes(name.length)) return;
  const i = LOWER.indexOf(name.toLowerCase());
  if (i >= 0) ctx.own |= 1 << i;
}

/** The last token sent as `Authorization`, and the header value made of it. */
let bearerToken: string | undefined;
let bearerValue = "";

/**
 * `Bearer <token>`, built once per token rather than per request: a fresh concatenation is one
 * more string to allocate, and one the HTTP client has to flatten before it checks the value.
 */
const bearer = (token: string) => {
  if (token !== bearerToken) {
    bearerToken = token;
    bearerValue = `Bearer ${token}`;
  }
  return bearerValue;
};

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
          ? ctx.token && bearer(ctx.token)
          : i === 1
            ? ctx.session
            : i === 2
              ? ctx.mfaToken
              : ctx.key;
      if (value) h[name] = value;
      else if (ctx.sentAt) delete h[name];
    }
  }
  // One clock read for both: the retry window counts from the first send.
  ctx.sentAt = Date.now();
  ctx.start ||= ctx.sentAt;
}
