import { MfaHeaders } from "@mfa-kit/protocol";
import type { MfaRequestOptions } from "./requestOptions";

const { authorization, sessionToken, mfaToken, idempotencyKey } = MfaHeaders;
const AUTHORIZATION = authorization.toLowerCase();
const SESSION_TOKEN = sessionToken.toLowerCase();
const IDEMPOTENCY_KEY = idempotencyKey.toLowerCase();

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
  userAuth = false;
  userSession = false;
  userKey = false;
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
    options: MfaRequestOptions | undefined,
    /** One of the engine's own requests (verify, session refresh, factors): never stepped up. */
    readonly internal = false,
  ) {
    this.oneShot = options?.oneShot === true;
  }

  /** Notes a header the caller set (any case): if it is one of the client's, it is left alone. */
  mark(name: string): void {
    // Only names of 13 or 15 characters can be ours: no lower-casing for the others.
    if (name.length !== 13 && name.length !== 15) return;
    const lower = name.toLowerCase();
    if (lower === AUTHORIZATION) this.userAuth = true;
    else if (lower === SESSION_TOKEN) this.userSession = true;
    else if (lower === IDEMPOTENCY_KEY) this.userKey = true;
  }

  /**
   * Writes this attempt's credentials into `h` with plain property writes (fast on axios's header
   * object; a fresh record for fetch), and removes ones an earlier attempt had but this one must not.
   */
  apply(h: Record<string, unknown>): void {
    const again = this.sends++ > 0;
    if (this.creds) {
      if (!this.userAuth) {
        if (this.token) h[authorization] = `Bearer ${this.token}`;
        else if (again) delete h[authorization];
      }
      if (!this.userSession) {
        if (this.session) h[sessionToken] = this.session;
        else if (again) delete h[sessionToken];
      }
      if (this.mfaToken) h[mfaToken] = this.mfaToken;
      if (this.key) h[idempotencyKey] = this.key;
    }
    this.sentAt = Date.now();
  }
}
