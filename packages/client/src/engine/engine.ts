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
import type { TabCoordinator } from "../tabs/tabCoordinator";
import { answerError } from "./answerError";
import { type Clock, createClock } from "./clock";
import type { MfaEvent, RetryReason } from "./events";
import { idempotencyKey } from "./idempotencyKey";
import { MfaError, noResponse } from "./mfaError";
import type { ResolvedOptions } from "./options";
import { pageUrl } from "./origins";
import { OWN_AUTHORIZATION, OWN_IDEMPOTENCY_KEY, type RequestContext } from "./requestContext";
import { backoffMs, isRetryableStatus, mayRepeat } from "./retryPolicy";
import { sessionInfo, sessionPersistence, toSession } from "./session";
import { singleFlight } from "./singleFlight";
import { createStore } from "./store";
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
  headers?: HeadersLike | { get(name: string): unknown };
  /** Reads the parsed JSON body (only for a 401, which the engine must understand). */
  body?: () => unknown;
  /** The adapter's own response object, for `RETRY_EXHAUSTED`. */
  response?: unknown;
  error?: unknown;
}

/** How the engine sends its own requests: `mfa.fetch`, with `internal` set for verify and co. */
export type InternalFetch = (
  url: string,
  init: RequestInit,
  internal?: boolean,
) => Promise<Response>;

/** The engine: the client's state and the decisions on each attempt, for the adapters. */
export type Engine = ReturnType<typeof createEngine>;

/** A challenge waiting for an answer, and the requests waiting on it. */
interface Pending {
  view: PendingChallenge;
  ac: AbortController;
  waiting: number;
  phase: "challenge" | "verifying" | "locked";
  /** Published once the factors are known (and, across tabs, once this tab holds the prompt). */
  ready?: boolean;
  /** Settles the wait for the prompt: another tab's verification arrived. */
  answered?: () => void;
  done?: Promise<void>;
}

/** Beyond this offset TOTP codes computed on the local clock stop working. */
const SKEW_MS = 30_000;
/** A failed session refresh is not tried again sooner than this. */
const SESSION_RETRY_MS = 5_000;

const noop = () => {};

const cancel = (cause?: unknown) =>
  new MfaError("STEP_UP_CANCELLED", "Verification cancelled.", { cause });

/** Why waiting requests end when the challenge's signal aborts: an MfaError as it is, else a cancel. */
const cancelled = (reason: unknown) =>
  reason instanceof MfaError && reason.code !== "ABORTED" ? reason : cancel(reason);

const required = (challenge: StepUpChallenge, problem: MfaProblem | null) =>
  new MfaError("STEP_UP_REQUIRED", "MFA required and no challenge handler set.", {
    status: 401,
    problem,
    challenge,
  });

/** `path` resolved against the URL of the request that needed it. */
const at = (path: string, url: string) => new URL(path, url).href;

/** Runs `fn` at `until` (local epoch ms) without keeping a Node process alive for it. */
const later = (until: number, fn: () => void) =>
  (setTimeout(fn, until - Date.now()) as { unref?(): void }).unref?.();

/**
 * The transport-agnostic core: owns the state (session, refreshed token, pending challenge, clock)
 * and decides, for each failed attempt, whether to refresh, step up, wait and retry, or give up.
 * Adapters only move headers and responses between their HTTP client and this engine.
 */
export function createEngine(o: ResolvedOptions, initialHandler?: ChallengeHandler | null) {
  const persistence = sessionPersistence(o.storage, o.storageKey);
  let session = persistence.load();
  const store = createStore<MfaSnapshot>({
    status: "idle",
    session: session && sessionInfo(session),
    pendingChallenge: null,
    clockOffsetMs: 0,
    rateLimitedUntil: null,
  });
  const clock: Clock = createClock();
  let handler = initialHandler ?? null;
  /** Incremented by each token refresh: an attempt sent before one is replayed, not refreshed. */
  let gen = 0;
  /** The token the last refresh replaced, and the one it gave. */
  let refreshed: [string | undefined, string] | null = null;
  let sessionRetryAt = 0;
  let busy = 0;
  let pending: Pending | null = null;
  let seq = 0;
  let skewed = false;
  /** Whether the clock has had a sample, or its absence was reported. */
  let clocked = false;
  /** Whether `getAccessToken` returns promises: unknown until its first call, then sticky. */
  let asyncTokens: boolean | undefined;
  /** The last token `getAccessToken` gave. */
  let lastToken: string | null | undefined;

  const emit = <T extends MfaEvent["type"]>(
    type: T,
    fields?: Omit<Extract<MfaEvent, { type: T }>, "type">,
  ) => {
    try {
      o.onEvent?.({ type, ...fields } as MfaEvent);
    } catch {
      // A throwing listener never breaks a request.
    }
  };

  /** Counts a refresh in (+1) or out (-1), and publishes the status and the pending challenge. */
  const publish = (delta = 0) => {
    busy += delta;
    const p = pending?.ready ? pending : null;
    store.set({
      pendingChallenge: p?.view ?? null,
      status: p ? p.phase : busy ? "refreshing" : "idle",
    });
  };

  const setSession = (next: MfaSessionResponse | null) => {
    session = next;
    persistence.save(next);
    store.set({ session: next && sessionInfo(next) });
  };

  /** The token to send: the app's, unless it is the very one a refresh replaced. */
  const pick = (app: string | null | undefined) =>
    refreshed && (!o.getAccessToken || app === refreshed[0]) ? refreshed[1] : (app ?? undefined);

  const fill = (ctx: RequestContext, app: string | null | undefined) => {
    ctx.token = pick(app);
    ctx.session = session?.token;
    ctx.gen = gen;
  };

  /** Fills in the credentials; `sync`: without waiting, even for an async `getAccessToken`. */
  const credentials = (ctx: RequestContext, sync?: boolean): void | Promise<void> => {
    let app = o.getAccessToken?.();
    if (app instanceof Promise) {
      asyncTokens = true;
      if (!sync) {
        return app.then((token) => {
          lastToken = token;
          fill(ctx, token);
        });
      }
      // The last token the app gave; if it is stale, the 401 gets the new one and replays.
      app = lastToken;
    } else {
      asyncTokens ??= false;
      lastToken = app;
    }
    fill(ctx, app);
  };

  /** Whether the session is due for a refresh (and not just failed to refresh). */
  const sessionDue = () =>
    !!session &&
    clock.now() >= session.expiresAt - o.refreshBeforeMs &&
    Date.now() >= sessionRetryAt;

  /** One of the engine's own requests (or an `mfa.api` call), through `mfa.fetch`, JSON both ways. */
  const call = async (
    url: string,
    method = "POST",
    body?: unknown,
    signal?: AbortSignal,
    internal?: boolean,
  ): Promise<WireResponse> => {
    const res = await e.fetch(
      url,
      {
        method,
        headers: { accept: "application/json", "content-type": "application/json" },
        body: body ? JSON.stringify(body) : undefined,
        signal,
      },
      internal,
    );
    return { status: res.status, headers: res.headers, body: await res.json().catch(noop) };
  };

  /** Refreshes the access token, once for everyone waiting on it. */
  const renew = singleFlight(async (stale: string | undefined) => {
    publish(1);
    let error: MfaError;
    try {
      await tabsReady;
      const token = await (tabs
        ? tabs.refresh(stale, o.refreshAccessToken!)
        : o.refreshAccessToken!());
      if (token && typeof token === "string") {
        refreshed = [stale, token];
        gen++;
        emit("token.refreshed");
        return;
      }
      error = new MfaError("REFRESH_FAILED", "refreshAccessToken must resolve with the new token.");
    } catch (cause) {
      error = new MfaError("REFRESH_FAILED", "Token refresh failed.", { cause });
    } finally {
      publish(-1);
    }
    refreshed = null;
    setSession(null);
    pending?.ac.abort(error);
    throw error;
  });

  /** Refreshes the MFA session, once for everyone; a session the API rejects is dropped. */
  const refreshSession = singleFlight(async (url: string) => {
    const s = session;
    publish(1);
    sessionRetryAt = Date.now() + SESSION_RETRY_MS;
    try {
      const res = await call(at(o.paths.refreshSession, url), "POST", undefined, undefined, true);
      const next = res.status < 300 && toSession(res.body);
      if (next) {
        setSession(next);
        emit("session.refreshed", { session: sessionInfo(next) });
        // A session the API will not extend is not asked again before it expires.
        sessionRetryAt = Date.now() + next.expiresAt - clock.now() - o.refreshBeforeMs;
      } else if (res.status === 401 && session === s) {
        setSession(null); // the next guarded call steps up
      }
    } catch {
      // Kept until it expires; tried again after SESSION_RETRY_MS.
    } finally {
      publish(-1);
    }
  });

  // ---- challenges --------------------------------------------------------------------------

  const newView = (challenge: StepUpChallenge, problem: MfaProblem | null): PendingChallenge => ({
    id: `c${++seq}`,
    challenge,
    problem,
    factors: problem?.factors ?? [],
    backupCodes: problem?.backupCodes === true,
    attempt: 1,
    waiting: 0,
    lastError: null,
  });

  /** Asks the handler; its rejection or an abort is `STEP_UP_CANCELLED`. */
  const ask = async (view: PendingChallenge, signal: AbortSignal): Promise<ChallengeAnswer> => {
    if (!handler) throw required(view.challenge, view.problem);
    try {
      return await abortable(
        handler(view, { attempt: view.attempt, lastError: view.lastError, signal }),
        signal,
      );
    } catch (e) {
      // The handler's own rejection is a cancellation, whatever it threw (kept as the cause).
      throw signal.aborted ? cancelled(signal.reason) : cancel(e);
    }
  };

  const show = (p: Pending, patch?: Partial<PendingChallenge>, phase = p.phase) => {
    p.phase = phase;
    p.view = Object.freeze({ ...p.view, ...patch, waiting: p.waiting });
    if (p.ready) publish();
  };

  /** The challenge loop: ask, verify, and ask again after a rejected answer, until done. */
  const run = async (p: Pending, url: string): Promise<void> => {
    const { signal } = p.ac;
    try {
      if (!handler) throw required(p.view.challenge, p.view.problem);
      if (!p.view.problem?.factors) {
        const res = await call(at(o.paths.factors, url), "GET", undefined, signal, true).catch(
          noop,
        );
        const list = res?.status === 200 && (res.body as ListFactorsResponse | undefined);
        if (list && Array.isArray(list.factors)) {
          p.view = {
            ...p.view,
            factors: list.factors,
            backupCodes: p.view.backupCodes || list.backupCodesRemaining > 0,
          };
        }
      }
      const begun = session?.token;
      await tabsReady;
      const prompt = async (): Promise<void> => {
        // The tab that prompted before may have verified just now: its session is in storage.
        if (signal.aborted) throw cancelled(signal.reason);
        const stored = tabs && persistence.load();
        if (stored && stored.token !== begun) {
          setSession(stored);
          return;
        }
        p.ready = true;
        show(p);
        emit("stepup.required", { challenge: p.view });
        for (;;) {
          const answer = await ask(p.view, signal);
          show(p, {}, "verifying");
          const res = await call(at(o.paths.verify, url), "POST", answer, signal, true).catch(
            (cause) => {
              throw signal.aborted
                ? cancelled(signal.reason)
                : new MfaError("STEP_UP_FAILED", "Verification got no answer.", { cause });
            },
          );
          const next = res.status < 300 && toSession(res.body);
          if (next) {
            setSession(next);
            emit("stepup.succeeded", { session: sessionInfo(next) });
            return;
          }
          const error = answerError(res, clock.now());
          if (!error) {
            throw new MfaError("STEP_UP_FAILED", `Verification failed: HTTP ${res.status}.`, {
              status: res.status,
              problem: isProblem(res.body) ? res.body : null,
            });
          }
          emit("stepup.failed", { error });
          const { retryAfterMs, problem } = error;
          const lockedUntil = retryAfterMs === undefined ? undefined : Date.now() + retryAfterMs;
          show(
            p,
            {
              attempt: p.view.attempt + 1,
              lastError: error,
              attemptsLeft: error.attemptsLeft,
              retryAfterMs,
              lockedUntil,
              // An answer that asks for more names the factors that may give it.
              ...(problem?.factors && {
                problem,
                factors: problem.factors,
                backupCodes: problem.backupCodes === true,
              }),
            },
            error.code === "LOCKED" ? "locked" : "challenge",
          );
          // The lock ends on its own: then the challenge is open again.
          if (lockedUntil) {
            later(lockedUntil, () => {
              if (p.view.lockedUntil === lockedUntil) {
                show(p, { lockedUntil: undefined, retryAfterMs: undefined }, "challenge");
              }
            });
          }
        }
      };
      // Across tabs, one prompts at a time; a verification in another tab answers this one.
      if (tabs) {
        const t = tabs;
        await t.prompt(signal, new Promise((done) => (p.answered = done)), () =>
          prompt().catch((error: MfaError) => {
            // Cancelled here, while this tab holds the prompt: the other tabs' calls give up too.
            if (error.code === "STEP_UP_CANCELLED" && p.ready) t.cancelled();
            throw error;
          }),
        );
      } else await prompt();
    } catch (e) {
      const error = e as MfaError;
      emit(error.code === "STEP_UP_CANCELLED" ? "stepup.cancelled" : "stepup.failed", { error });
      throw error;
    } finally {
      if (pending === p) pending = null;
      publish();
    }
  };

  /** Waits on the pending challenge, opening one if there is none. */
  const join = (
    challenge: StepUpChallenge,
    problem: MfaProblem | null,
    url: string,
    signal: AbortSignal | null | undefined,
  ): Promise<void> => {
    pending ??= {
      view: newView(challenge, problem),
      ac: new AbortController(),
      waiting: 0,
      phase: "challenge",
    };
    const p = pending;
    p.waiting++;
    if (!p.done) {
      p.done = run(p, url);
      p.done.catch(noop);
    }
    show(p);
    return abortable(p.done, signal).finally(() => {
      p.waiting--;
      if (pending === p) {
        if (p.waiting) show(p);
        else p.ac.abort(cancel());
      }
    });
  };

  // ---- what a failed attempt leads to ------------------------------------------------------

  const onTokenRejected = async (ctx: RequestContext): Promise<boolean> => {
    if (!o.refreshAccessToken || ctx.own & OWN_AUTHORIZATION || ctx.refreshed) return false;
    ctx.refreshed = true;
    if (ctx.gen === gen && !renew.current()) {
      // The app may hold a newer token than this attempt carried: then just replay.
      const now = pick(await o.getAccessToken?.());
      if (now && now !== ctx.token) return true;
    }
    if (ctx.gen === gen) await abortable(renew(ctx.token), ctx.signal);
    return true;
  };

  const onChallenge = async (
    ctx: RequestContext,
    challenge: StepUpChallenge,
    problem: MfaProblem | null,
    invalidSession: boolean,
  ): Promise<boolean> => {
    const current = session?.token;
    if (invalidSession && ctx.session && ctx.session === current) setSession(null);
    else if (
      !pending &&
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
    if (!ctx.oneShot) {
      await join(challenge, problem, ctx.url(), ctx.signal);
      return true;
    }
    // A one-shot call: the answer goes inline with the replay (X-MFA-Token); no session is kept.
    const view = newView(challenge, problem);
    emit("stepup.required", { challenge: view });
    const answer = (await ask(view, ctx.signal ?? new AbortController().signal)) as {
      code?: string;
      backupCode?: string;
    };
    ctx.mfaToken = answer.code ?? answer.backupCode;
    if (!ctx.mfaToken) throw new MfaError("STEP_UP_FAILED", "A one-shot call needs a code.");
    return true;
  };

  /** Shows a rate limit until `until` (local epoch ms), and no longer. */
  const limit = (until: number | null) => {
    store.set({ rateLimitedUntil: until });
    if (until) {
      later(until, () => {
        if (store.getSnapshot().rateLimitedUntil === until) store.set({ rateLimitedUntil: null });
      });
    }
  };

  const retry = async (ctx: RequestContext, f: Failure): Promise<boolean> => {
    const r = o.retry;
    const { kind, status, headers } = f;
    if (
      !r ||
      ctx.stream ||
      !(kind || isRetryableStatus(status)) ||
      !mayRepeat(ctx.method, !!(ctx.own & OWN_IDEMPOTENCY_KEY || ctx.key))
    ) {
      if (kind) throw noResponse(kind, f.error);
      return false;
    }
    const n = ++ctx.retries;
    const now = Date.now();
    // An HTTP-date counts from the response's own Date, else from the server's time as known.
    const retryAfterMs =
      parseRetryAfter(
        headers?.get("retry-after") as string,
        Date.parse(headers?.get("date") as string) || clock.now(),
      ) ?? undefined;
    const delay = Math.max(
      backoffMs(n, r),
      retryAfterMs ?? 0,
      (store.getSnapshot().rateLimitedUntil ?? 0) - now,
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
      limit(now + delay);
      emit("ratelimit.wait", { untilMs: now + delay });
    }
    emit("request.retry", {
      attempt: n,
      delayMs: delay,
      reason: (kind ?? "status") as RetryReason, // an abort never gets here
      status,
      method: ctx.method,
      url: ctx.url(),
    });
    await sleep(delay, ctx.signal);
    return true;
  };

  const e = {
    o,
    clock,
    getSnapshot: store.getSnapshot,
    subscribe: store.subscribe,
    /** Sends the engine's own requests (set by the client: the fetch adapter). */
    fetch: null as unknown as InternalFetch,
    /** The first wrapped axios instance's `baseURL`: the API's address when `baseUrl` is unset. */
    wrappedBase: undefined as string | undefined,
    call,

    /** The API's address for calls without a request (`stepUp`, `api`). */
    base(): string {
      const url = o.baseUrl ?? pageUrl() ?? e.wrappedBase;
      if (!url) throw new TypeError("Set options.baseUrl: the client needs the API's address.");
      return url;
    },

    /**
     * Whether the next request can get its credentials without waiting: no token refresh in
     * flight, no session due for a refresh, and a `getAccessToken` known to answer at once.
     */
    ready: () => asyncTokens === false && !renew.current() && !sessionDue(),

    /**
     * Puts the credentials of the next attempt into `ctx` (none when its origin is not allowed).
     * Returns a promise only when it must wait: a token refresh in flight, a session due for
     * refresh, or an async `getAccessToken`; never with `sync` (then `ready()` said there is no
     * need, or the wait is left to a replay).
     */
    before(ctx: RequestContext, allowed: boolean, sync?: boolean): void | Promise<void> {
      ctx.creds = allowed;
      if (!allowed) return;
      // Not on the engine's own calls: a verify answered 429 `locked` must reach the step-up loop,
      // not be retried with the same code after Retry-After (which would only extend the lock).
      if (
        o.idempotencyKeys &&
        !ctx.internal &&
        !(ctx.own & OWN_IDEMPOTENCY_KEY) &&
        (ctx.method === "POST" || ctx.method === "PATCH")
      ) {
        ctx.key ??= idempotencyKey();
      }
      const wait =
        !sync &&
        (renew.current() ?? (!ctx.internal && sessionDue() ? refreshSession(ctx.url()) : null));
      // Whatever the refresh's outcome, the request then goes with the credentials there are.
      return wait
        ? abortable(wait.catch(noop), ctx.signal).then(() => credentials(ctx))
        : credentials(ctx, sync);
    },

    /** The token generation: incremented by each token refresh or re-authorization. */
    gen: () => gen,

    /** Sends `token` instead of `stale` from now on (until `getAccessToken` gives another one). */
    useToken(stale: string | undefined, token: string): void {
      refreshed = [stale, token];
      gen++;
    },

    emit,

    /** Takes the clock sample of a response (errors included). */
    after(ctx: RequestContext, date: string | null | undefined): void {
      // No readable Date (a cross-origin API that does not expose it): said once, never guessed.
      if (!date && !clocked) {
        clocked = true;
        emit("clock.unavailable");
      }
      if (!clock.sample(date, ctx.sentAt, Date.now())) return;
      clocked = true;
      const offset = clock.offsetMs;
      if (Math.abs(offset - store.getSnapshot().clockOffsetMs) >= 500) {
        store.set({ clockOffsetMs: offset });
      }
      const skew = Math.abs(offset) > SKEW_MS;
      if (skew && !skewed) emit("clock.skew", { offsetMs: offset });
      skewed = skew;
    },

    /**
     * Decides what a failed attempt leads to: resolves `true` to replay the request, `false` to
     * hand the failure to the caller unchanged; rejects with an {@link MfaError}.
     */
    async handle(ctx: RequestContext, f: Failure): Promise<boolean> {
      const { headers } = f;
      if (f.kind === "abort" || ctx.signal?.aborted) throw abortError(ctx.signal);
      if (f.status === 401 && ctx.creds && headers) {
        const www = headers.get("www-authenticate") as string | null;
        if (
          parseWwwAuthenticate(www).some(
            (c) => /^bearer$/i.test(c.scheme) && c.params.error === "invalid_token",
          )
        ) {
          return onTokenRejected(ctx);
        }
        const body = await f.body?.();
        const problem = isProblem(body) ? body : null;
        // An extra step-up (the OAuth re-authorization of `@mfa-kit/client/oauth`) goes first.
        const extra = ctx.internal ? undefined : await o.failureHandler?.(e, ctx, www, problem);
        if (extra !== undefined) return extra;
        const name = problemName(problem);
        const challenge =
          parseStepUpChallenge(www) ??
          (/mfa_req|step_up|invalid_s/.test(name!)
            ? { acrValues: problem?.acrValues ?? [], maxAge: problem?.maxAge }
            : null);
        if (challenge && !ctx.internal) {
          return onChallenge(ctx, challenge, problem, name === "invalid_session");
        }
      }
      return retry(ctx, f);
    },

    /** Verifies now unless the session already satisfies `maxAge` / `acrValues`. */
    async stepUp(
      options: { maxAge?: number; acrValues?: string[]; signal?: AbortSignal } = {},
    ): Promise<MfaSessionInfo> {
      const { maxAge, acrValues = [] } = options;
      const s = session;
      if (
        !s ||
        maxAge === 0 ||
        clock.now() - s.authTime > (maxAge ?? Number.POSITIVE_INFINITY) * 1000 ||
        (acrValues[0] && !acrValues.includes(s.acr))
      ) {
        await join({ acrValues, maxAge }, null, e.base(), options.signal);
      }
      return sessionInfo(session!);
    },

    /** Replaces the challenge handler; returns a function restoring the previous one. */
    setChallengeHandler(next: ChallengeHandler | null): () => void {
      const previous = handler;
      handler = next;
      return () => {
        if (handler === next) handler = previous;
      };
    },

    /** Rejects every request waiting on the pending challenge with `STEP_UP_CANCELLED`. */
    cancelChallenge(reason?: unknown): void {
      pending?.ac.abort(cancelled(reason));
    },

    /** Forgets the session and the refreshed token, and cancels a pending challenge (in every tab, when coordinated). */
    signOut(): void {
      forget();
      tabs?.signedOut();
    },
  };

  const forget = () => {
    e.cancelChallenge();
    refreshed = null;
    setSession(null);
    limit(null);
  };

  // ---- the origin's other tabs ----------------------------------------------------------------

  // Loaded on demand, so that a client without tabs does not carry it.
  let tabs: TabCoordinator | null = null;
  const tabsReady =
    o.tabs &&
    import("../tabs/tabCoordinator").then(({ createTabCoordinator }) => {
      tabs = createTabCoordinator(o.storageKey, {
        session(next) {
          const known = session?.token;
          session = next;
          store.set({ session: next && sessionInfo(next) });
          // A verification in another tab answers the challenge this tab waits to show.
          if (next && next.token !== known && pending && !pending.ready) pending.answered?.();
        },
        token: (stale, token) => e.useToken(stale, token),
        signOut: forget,
        cancelled() {
          if (pending && !pending.ready) pending.ac.abort(cancel());
        },
      });
    }, noop);
  return e;
}
