import { MfaHeaders } from "@mfa-kit/protocol";
import type { MfaRequestOptions } from "./requestOptions";

/** The header methods axios's `AxiosHeaders` and fetch's `Headers` share. */
export interface HeaderBag {
  has(name: string): boolean;
  set(name: string, value: string): unknown;
  delete(name: string): unknown;
}

const { authorization, sessionToken, mfaToken, idempotencyKey } = MfaHeaders;

/**
 * The engine's memory of one logical request across its attempts and replays: what was sent, which
 * causes it was already replayed for, its Idempotency-Key, and which headers the caller set.
 */
export class RequestContext {
  /** When the first attempt started (local epoch ms): the retry window counts from here. */
  readonly start = Date.now();
  /** When the current attempt was sent, for the clock sample. */
  sentAt = 0;
  /** Retries made so far. */
  retries = 0;
  /** Attempts sent so far (retries, replays and redirects included). */
  sends = 0;
  /** Whether credentials go with the current attempt (its origin is allowed). */
  creds = false;
  /** The access token and session token of the current attempt. */
  token: string | undefined;
  session: string | undefined;
  /** The token generation at send time: a refresh since then means "replay, don't refresh". */
  tokenGen = 0;
  /** Replayed once already for a token refresh / a newer session / a verification. */
  refreshed = false;
  resent = false;
  stepped = false;
  /** The caller set these headers itself: they are never touched. */
  readonly userAuth: boolean;
  readonly userSession: boolean;
  readonly userKey: boolean;
  /** The Idempotency-Key, kept across every replay. */
  key: string | undefined;
  /** A one-shot call: a challenge is answered inline with `X-MFA-Token` instead of a session. */
  readonly oneShot: boolean;
  mfaToken: string | undefined;
  /** False when the body cannot be sent twice (a stream): no retry, no replay. */
  replayable = true;

  constructor(
    /** Upper-case method (a 303 redirect turns it into GET). */
    public method: string,
    /** The caller's signal. */
    readonly signal: AbortSignal | null | undefined,
    /** The absolute URL of the request, as the adapter knows it. */
    readonly urlOf: (context: RequestContext) => string,
    /** Adapter-specific: the axios config, or the current URL for fetch. */
    public target: unknown,
    headers: HeaderBag,
    options: MfaRequestOptions | undefined,
    /** One of the engine's own requests (verify, session refresh, factors): never stepped up. */
    readonly internal = false,
  ) {
    this.userAuth = headers.has(authorization);
    this.userSession = headers.has(sessionToken);
    this.userKey = headers.has(idempotencyKey);
    this.oneShot = options?.oneShot === true;
  }

  /** Writes this attempt's credentials into `h` (none for an origin that is not allowed). */
  apply(h: HeaderBag): void {
    const again = this.sends++ > 0;
    if (this.creds) {
      if (!this.userAuth) {
        if (this.token) h.set(authorization, `Bearer ${this.token}`);
        else if (again) h.delete(authorization);
      }
      if (!this.userSession) {
        if (this.session) h.set(sessionToken, this.session);
        else if (again) h.delete(sessionToken);
      }
      if (this.mfaToken) h.set(mfaToken, this.mfaToken);
      if (this.key) h.set(idempotencyKey, this.key);
    }
    this.sentAt = Date.now();
  }
}
