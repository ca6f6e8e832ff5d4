import {
  type HeadersLike,
  isProblem,
  type ListFactorsResponse,
  type MfaProblem,
  type MfaSessionResponse,
  parseRetryAfter,
  parseStepUpChallenge,
  parseWwwAuthenticate,
  problemName,
  type StepUpChallenge,
} from "@mfa-kit/protocol";
import { answerError } from "./answerError";
import { Clock } from "./clock";
import type { MfaEvent } from "./events";
import { idempotencyKey } from "./idempotencyKey";
import { MfaError, noResponse } from "./mfaError";
import type { ResolvedOptions, StorageLike } from "./options";
import type { RequestContext } from "./requestContext";
import { backoffMs, isRetryableStatus, mayRepeat } from "./retryPolicy";
import { loadSession, openStorage, saveSession, sessionInfo, toSession } from "./sessionStore";
import { SingleFlight } from "./singleFlight";
import { Subscribable } from "./subscribable";
import type {
  ChallengeAnswer,
  ChallengeHandler,
  MfaSessionInfo,
  MfaSnapshot,
  PendingChallenge,
  WireResponse,
} from "./types";
import { abortable, abortError, sleep } from "./wait";

/** How an attempt failed, as the adapter reports it. */
export interface Failure {
  /** The HTTP status, 0 when there was no response. */
  status: number;
  /** Why there was no response. */
  kind?: "network" | "timeout" | "abort";
  headers?: HeadersLike;
  /** Reads the parsed JSON body (only for a 401, which the engine must understand). */
  body?: () => Promise<unknown>;
  /** The adapter's own response object, for `RETRY_EXHAUSTED`. */
  response?: unknown;
  error?: unknown;
}

/** How the engine sends its own requests: `mfa.fetch`, marked internal. */
export type InternalFetch = (url: string, init: RequestInit, internal: true) => Promise<Response>;

interface Pending {
  view: PendingChallenge;
  ac: AbortController;
  waiting: number;
  phase: "challenge" | "verifying" | "locked";
  /** Published once the factors are known. */
  ready?: boolean;
  done?: Promise<void>;
}

/** Beyond this offset TOTP codes computed on the local clock stop working. */
const SKEW_MS = 30_000;
/** A failed session refresh is not tried again sooner than this. */
const SESSION_RETRY_MS = 5_000;

const cancelled = (cause: unknown) =>
  cause instanceof MfaError && cause.code !== "ABORTED"
    ? cause
    : new MfaError("STEP_UP_CANCELLED", "Verification cancelled.", { cause });

const required = ({ challenge, problem }: PendingChallenge) =>
  new MfaError("STEP_UP_REQUIRED", "MFA required; no challenge handler set.", {
    status: 401,
    problem,
    challenge,
  });

/** `path` resolved against the URL of the request that needed it. */
const at = (path: string, url: string) => new URL(path, url).href;

/**
 * The transport-agnostic core: owns the state (session, refreshed token, pending challenge, clock)
 * and decides, for each failed attempt, whether to refresh, step up, wait and retry, or give up.
 * Adapters only move headers and responses between their HTTP client and this class.
 */
export class Engine {
  readonly store: Subscribable<MfaSnapshot>;
  readonly clock = new Clock();
  handler: ChallengeHandler | null;
  /** Sends the engine's own requests (set by the client: the fetch adapter). */
  fetch?: InternalFetch;
  /** The API's address for calls without a request (`stepUp`, `api`). */
  base?: () => string;
  #session: MfaSessionResponse | null;
  readonly #storage: StorageLike | undefined;
  readonly #tokens = new SingleFlight<void>();
  readonly #sessions = new SingleFlight<void>();
  /** Incremented by each token refresh: an attempt sent before one is replayed, not refreshed. */
  #gen = 0;
  /** The token the last refresh replaced, and the one it gave. */
  #refreshed: [string | undefined, string] | null = null;
  #sessionRetryAt = 0;
  #busy = 0;
  #pending: Pending | null = null;
  #seq = 0;
  #skewed = false;

  constructor(
    readonly o: ResolvedOptions,
    handler: ChallengeHandler | null | undefined,
  ) {
    this.handler = handler ?? null;
    this.#storage = openStorage(o.storage);
    this.#session = loadSession(this.#storage, o.storageKey);
    this.store = new Subscribable<MfaSnapshot>({
      status: "idle",
      session: this.#session && sessionInfo(this.#session),
      pendingChallenge: null,
      clockOffsetMs: 0,
      rateLimitedUntil: null,
    });
  }

  emit(event: MfaEvent): void {
    try {
      this.o.onEvent?.(event);
    } catch {
      // A throwing listener never breaks a request.
    }
  }

  // ---- per attempt -------------------------------------------------------------------------

  /**
   * Puts the credentials of the next attempt into `ctx` (none when its origin is not allowed).
   * Returns a promise only when it must wait: a token refresh in flight, a session due for
   * refresh, or an async `getAccessToken`.
   */
  before(ctx: RequestContext, allowed: boolean): void | Promise<void> {
    ctx.creds = allowed;
    if (!allowed) return;
    const { o } = this;
    if (o.idempotencyKeys && !ctx.userKey && (ctx.method === "POST" || ctx.method === "PATCH")) {
      ctx.key ??= idempotencyKey();
    }
    const s = this.#session;
    const wait =
      this.#tokens.current ??
      (s &&
      !ctx.internal &&
      this.clock.now() >= s.expiresAt - o.refreshBeforeMs &&
      Date.now() >= this.#sessionRetryAt
        ? this.#refreshSession(ctx.urlOf(ctx))
        : null);
    if (!wait) return this.#credentials(ctx);
    // Whatever the refresh's outcome, the request then goes with the credentials there are.
    return abortable(
      wait.catch(() => {}),
      ctx.signal,
    ).then(() => this.#credentials(ctx));
  }

  #credentials(ctx: RequestContext): void | Promise<void> {
    const app = this.o.getAccessToken?.();
    if (app instanceof Promise) return app.then((token) => this.#fill(ctx, token));
    this.#fill(ctx, app);
  }

  #fill(ctx: RequestContext, token: string | null | undefined): void {
    ctx.token = this.#pick(token);
    ctx.session = this.#session?.token;
    ctx.tokenGen = this.#gen;
  }

  /** The token to send: the app's, unless it is the very one a refresh replaced. */
  #pick(app: string | null | undefined): string | undefined {
    const r = this.#refreshed;
    return r && (!this.o.getAccessToken || app === r[0]) ? r[1] : (app ?? undefined);
  }

  /** Takes the clock sample of a response (errors included). */
  after(ctx: RequestContext, date: string | null | undefined): void {
    const { clock, store } = this;
    const until = store.getSnapshot().rateLimitedUntil;
    if (until && Date.now() >= until) store.set({ rateLimitedUntil: null });
    if (!clock.sample(date, ctx.sentAt, Date.now())) return;
    const offset = clock.offsetMs;
    if (Math.abs(offset - store.getSnapshot().clockOffsetMs) >= 500)
      store.set({ clockOffsetMs: offset });
    const skewed = Math.abs(offset) > SKEW_MS;
    if (skewed && !this.#skewed) this.emit({ type: "clock.skew", offsetMs: offset });
    this.#skewed = skewed;
  }

  /**
   * Decides what a failed attempt leads to: resolves `true` to replay the request, `false` to
   * hand the failure to the caller unchanged; rejects with an {@link MfaError}.
   */
  async handle(ctx: RequestContext, f: Failure): Promise<boolean> {
    const { headers } = f;
    if (f.kind === "abort" || ctx.signal?.aborted) throw abortError(ctx.signal);
    if (f.status === 401 && ctx.creds && headers) {
      if (
        parseWwwAuthenticate(headers.get("www-authenticate") ?? "").some(
          (c) => /^bearer$/i.test(c.scheme) && c.params.error === "invalid_token",
        )
      ) {
        return this.#onTokenRejected(ctx);
      }
      const body = await f.body?.();
      const problem = isProblem(body) ? body : null;
      const name = problemName(problem);
      const challenge =
        parseStepUpChallenge(headers) ??
        (/mfa_req|step_up|invalid_s/.test(name ?? "")
          ? { acrValues: problem?.acrValues ?? [], maxAge: problem?.maxAge }
          : null);
      if (challenge && !ctx.internal) {
        return this.#onChallenge(ctx, challenge, problem, name === "invalid_session");
      }
    }
    return this.#retry(ctx, f);
  }

  async #onTokenRejected(ctx: RequestContext): Promise<boolean> {
    if (!this.o.refreshAccessToken || ctx.userAuth || ctx.refreshed) return false;
    ctx.refreshed = true;
    if (ctx.tokenGen === this.#gen && !this.#tokens.current) {
      // The app may hold a newer token than this attempt carried: then just replay.
      const now = this.#pick(await this.o.getAccessToken?.());
      if (now && now !== ctx.token) return true;
    }
    if (ctx.tokenGen === this.#gen) await abortable(this.#renew(ctx.token), ctx.signal);
    return true;
  }

  /** Refreshes the access token, once for everyone waiting on it. */
  #renew(stale: string | undefined): Promise<void> {
    return this.#tokens.run(async () => {
      this.#status(1);
      try {
        let token: unknown;
        let cause: unknown;
        try {
          token = await this.o.refreshAccessToken!();
        } catch (e) {
          cause = e;
        }
        if (typeof token !== "string" || !token) {
          const error = new MfaError(
            "REFRESH_FAILED",
            cause ? "Token refresh failed." : "refreshAccessToken must resolve with the new token.",
            { cause },
          );
          this.#refreshed = null;
          this.#setSession(null);
          this.#pending?.ac.abort(error);
          throw error;
        }
        this.#refreshed = [stale, token];
        this.#gen++;
        this.emit({ type: "token.refreshed" });
      } finally {
        this.#status(-1);
      }
    });
  }

  async #onChallenge(
    ctx: RequestContext,
    challenge: StepUpChallenge,
    problem: MfaProblem | null,
    invalidSession: boolean,
  ): Promise<boolean> {
    const current = this.#session?.token;
    if (invalidSession && ctx.session && ctx.session === current) this.#setSession(null);
    else if (
      !this.#pending &&
      current &&
      ctx.session !== current &&
      challenge.maxAge !== 0 &&
      !ctx.resent
    ) {
      // A newer session exists than the one this attempt carried (verified or refreshed since).
      ctx.resent = true;
      return true;
    }
    if (ctx.stepped) {
      throw new MfaError("STEP_UP_FAILED", "Verification asked for again.", {
        status: 401,
        problem,
        challenge,
      });
    }
    ctx.stepped = true;
    const url = ctx.urlOf(ctx);
    if (!ctx.oneShot) {
      await this.#join(challenge, problem, url, ctx.signal);
      return true;
    }
    // A one-shot call: the answer goes inline with the replay (X-MFA-Token); no session is kept.
    const view = this.#view(challenge, problem);
    this.emit({ type: "stepup.required", challenge: view });
    const answer = (await abortable(
      this.#ask(view, ctx.signal ?? new AbortController().signal),
      ctx.signal,
    )) as { code?: string; backupCode?: string };
    ctx.mfaToken = answer.code ?? answer.backupCode;
    if (!ctx.mfaToken) throw new MfaError("STEP_UP_FAILED", "A one-shot call needs a code.");
    return true;
  }

  // ---- retries -----------------------------------------------------------------------------

  async #retry(ctx: RequestContext, f: Failure): Promise<boolean> {
    const r = this.o.retry;
    const { kind, status } = f;
    if (
      !r ||
      !ctx.replayable ||
      !(kind || isRetryableStatus(status)) ||
      !mayRepeat(ctx.method, ctx.userKey || !!ctx.key)
    ) {
      if (kind) throw noResponse(kind, f.error);
      return false;
    }
    const n = ++ctx.retries;
    const now = Date.now();
    const header = f.headers?.get("retry-after");
    // An HTTP-date counts from the response's own Date, else from the server's time as known.
    const date = Date.parse(f.headers?.get("date") ?? "");
    const retryAfterMs =
      (header ? parseRetryAfter(header, Number.isNaN(date) ? this.clock.now() : date) : null) ??
      undefined;
    const delay = Math.max(
      backoffMs(n, r),
      retryAfterMs ?? 0,
      (this.store.getSnapshot().rateLimitedUntil ?? 0) - now,
    );
    if (
      n > r.retries ||
      retryAfterMs! > r.maxRetryAfterMs ||
      now + delay - ctx.start > r.windowMs
    ) {
      throw new MfaError("RETRY_EXHAUSTED", `Gave up after ${n} attempts.`, {
        attempts: n,
        status,
        response: f.response,
        retryAfterMs,
        cause: f.error,
      });
    }
    if (retryAfterMs !== undefined) {
      this.store.set({ rateLimitedUntil: now + delay });
      this.emit({ type: "ratelimit.wait", untilMs: now + delay });
    }
    this.emit({
      type: "request.retry",
      attempt: n,
      delayMs: delay,
      reason: kind ?? "status",
      status,
      method: ctx.method,
      url: ctx.urlOf(ctx),
    } as MfaEvent);
    await sleep(delay, ctx.signal);
    return true;
  }

  // ---- the engine's own calls ----------------------------------------------------------------

  /** One of the engine's own requests, through `mfa.fetch` (credentials, token refresh, retries). */
  async #call(
    url: string,
    method = "POST",
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<WireResponse> {
    const res = await this.fetch!(
      url,
      {
        method,
        headers: { accept: "application/json", "content-type": "application/json" },
        body: body ? JSON.stringify(body) : undefined,
        signal,
      },
      true,
    );
    return { status: res.status, headers: res.headers, body: await res.json().catch(() => null) };
  }

  /** Refreshes the MFA session, once for everyone; a session the API rejects is dropped. */
  #refreshSession(url: string): Promise<void> {
    return this.#sessions.run(async () => {
      const s = this.#session;
      this.#status(1);
      this.#sessionRetryAt = Date.now() + SESSION_RETRY_MS;
      try {
        const res = await this.#call(at(this.o.paths.refreshSession, url));
        const next = res.status < 300 && toSession(res.body);
        if (next) {
          this.#setSession(next);
          this.emit({ type: "session.refreshed", session: sessionInfo(next) });
          // A session the API will not extend is not asked again before it expires.
          this.#sessionRetryAt =
            Date.now() + next.expiresAt - this.clock.now() - this.o.refreshBeforeMs;
        } else if (res.status === 401 && this.#session === s) {
          this.#setSession(null); // the next guarded call steps up
        }
      } catch {
        // Kept until it expires; tried again after SESSION_RETRY_MS.
      } finally {
        this.#status(-1);
      }
    });
  }

  // ---- challenges --------------------------------------------------------------------------

  #view(challenge: StepUpChallenge, problem: MfaProblem | null): PendingChallenge {
    return {
      id: `c${++this.#seq}`,
      challenge,
      problem,
      factors: problem?.factors ?? [],
      backupCodes: problem?.backupCodes === true,
      attempt: 1,
      waiting: 0,
      lastError: null,
    };
  }

  /** Asks the handler; its rejection or an abort is `STEP_UP_CANCELLED`. */
  async #ask(view: PendingChallenge, signal: AbortSignal): Promise<ChallengeAnswer> {
    const handler = this.handler;
    if (!handler) throw required(view);
    try {
      return await abortable(
        handler(view, { attempt: view.attempt, lastError: view.lastError, signal }),
        signal,
      );
    } catch (e) {
      // The handler's own rejection is a cancellation, whatever it threw (kept as the cause).
      throw signal.aborted
        ? cancelled(signal.reason)
        : new MfaError("STEP_UP_CANCELLED", "Verification cancelled.", { cause: e });
    }
  }

  /** Waits on the pending challenge, opening one if there is none. */
  #join(
    challenge: StepUpChallenge,
    problem: MfaProblem | null,
    url: string,
    signal: AbortSignal | null | undefined,
  ): Promise<void> {
    this.#pending ??= {
      view: this.#view(challenge, problem),
      ac: new AbortController(),
      waiting: 0,
      phase: "challenge",
    };
    const q = this.#pending;
    q.waiting++;
    if (!q.done) {
      q.done = this.#run(q, url);
      q.done.catch(() => {});
    }
    this.#show(q);
    return abortable(q.done!, signal).finally(() => {
      q.waiting--;
      if (this.#pending !== q) return;
      if (q.waiting) this.#show(q);
      else q.ac.abort(new MfaError("STEP_UP_CANCELLED", "No request waits any more."));
    });
  }

  #show(p: Pending, patch?: Partial<PendingChallenge>, phase?: Pending["phase"]): void {
    p.phase = phase ?? p.phase;
    p.view = Object.freeze({ ...p.view, ...patch, waiting: p.waiting });
    if (p.ready) this.#status(0);
  }

  /** The challenge loop: ask, verify, and ask again after a rejected answer, until done. */
  async #run(p: Pending, url: string): Promise<void> {
    const { signal } = p.ac;
    try {
      if (!this.handler) throw required(p.view);
      if (!p.view.problem?.factors) {
        const res = await this.#call(at(this.o.paths.factors, url), "GET", undefined, signal).catch(
          () => null,
        );
        const list = res?.status === 200 && (res.body as ListFactorsResponse | null);
        if (list && Array.isArray(list.factors)) {
          p.view = {
            ...p.view,
            factors: list.factors,
            backupCodes: p.view.backupCodes || list.backupCodesRemaining > 0,
          };
        }
      }
      p.ready = true;
      this.#show(p);
      this.emit({ type: "stepup.required", challenge: p.view });
      for (;;) {
        const answer = await this.#ask(p.view, signal);
        this.#show(p, {}, "verifying");
        const res = await this.#call(at(this.o.paths.verify, url), "POST", answer, signal).catch(
          (cause) => {
            throw signal.aborted
              ? cancelled(signal.reason)
              : new MfaError("STEP_UP_FAILED", "Verification got no answer.", { cause });
          },
        );
        const session = res.status < 300 && toSession(res.body);
        if (session) {
          this.#setSession(session);
          this.emit({ type: "stepup.succeeded", session: sessionInfo(session) });
          return;
        }
        const error = answerError(res, this.clock.now());
        if (!error) {
          throw new MfaError("STEP_UP_FAILED", `Verification failed: HTTP ${res.status}.`, {
            status: res.status,
            problem: isProblem(res.body) ? res.body : null,
          });
        }
        this.emit({ type: "stepup.failed", error });
        const { retryAfterMs, attemptsLeft } = error;
        this.#show(
          p,
          {
            attempt: p.view.attempt + 1,
            lastError: error,
            attemptsLeft,
            retryAfterMs,
            lockedUntil: retryAfterMs === undefined ? undefined : Date.now() + retryAfterMs,
          },
          error.code === "LOCKED" ? "locked" : "challenge",
        );
      }
    } catch (e) {
      const error = e as MfaError;
      this.emit({
        type: error.code === "STEP_UP_CANCELLED" ? "stepup.cancelled" : "stepup.failed",
        error,
      });
      throw error;
    } finally {
      if (this.#pending === p) this.#pending = null;
      this.#status(0);
    }
  }

  // ---- public operations ---------------------------------------------------------------------

  /** Verifies now unless the session already satisfies `maxAge` / `acrValues`. */
  async stepUp(
    options: { maxAge?: number; acrValues?: string[]; signal?: AbortSignal } = {},
  ): Promise<MfaSessionInfo> {
    const { maxAge, acrValues = [] } = options;
    const s = this.#session;
    if (
      !s ||
      maxAge === 0 ||
      this.clock.now() - s.authTime > (maxAge ?? Number.POSITIVE_INFINITY) * 1000 ||
      (acrValues[0] && !acrValues.includes(s.acr))
    ) {
      const challenge = { acrValues, maxAge };
      if (!this.#pending && !this.handler) throw required(this.#view(challenge, null));
      await this.#join(challenge, null, this.base!(), options.signal);
    }
    return sessionInfo(this.#session!);
  }

  /** Rejects every request waiting on the pending challenge with `STEP_UP_CANCELLED`. */
  cancelChallenge(reason?: unknown): void {
    this.#pending?.ac.abort(cancelled(reason));
  }

  /** Forgets the session and the refreshed token, and cancels a pending challenge. */
  signOut(): void {
    this.cancelChallenge();
    this.#refreshed = null;
    this.#setSession(null);
    this.store.set({ rateLimitedUntil: null });
  }

  #setSession(session: MfaSessionResponse | null): void {
    this.#session = session;
    saveSession(this.#storage, this.o.storageKey, session);
    this.store.set({ session: session && sessionInfo(session) });
  }

  /** Counts a refresh in (+1) or out (-1), and publishes the status and the pending challenge. */
  #status(busy: number): void {
    this.#busy += busy;
    const p = this.#pending?.ready ? this.#pending : null;
    this.store.set({
      pendingChallenge: p?.view ?? null,
      status: p ? p.phase : this.#busy ? "refreshing" : "idle",
    });
  }
}
