import { MfaOptionError } from "@mfa-kit/protocol/vocabulary";
import type { TabCoordinator } from "../tabs/tabCoordinator";
import { createChallengeCoordinator } from "./challengeCoordinator";
import { createClockSampler } from "./clockSampler";
import { type Coordinator, localCoordinator } from "./coordinator";
import type { EngineCore } from "./core";
import type { MfaEvent } from "./events";
import { abortHandler, type Failure, type FailureLink, handleFailure, problemOf } from "./failure";
import { idempotencyKey } from "./idempotencyKey";
import { createMfaSession } from "./mfaSession";
import type { ResolvedOptions } from "./options";
import { pageUrl } from "./origins";
import { OWN_IDEMPOTENCY_KEY, type RequestContext } from "./requestContext";
import { createRetryHandler, retryerOf } from "./retryer";
import { sessionInfo } from "./session";
import { createStepUp } from "./stepUp";
import { createStore } from "./store";
import { createTokenRefresh } from "./tokenRefresh";
import type { ChallengeHandler, MfaSessionInfo, MfaSnapshot } from "./types";
import { abortable } from "./wait";

export type { Failure } from "./failure";

/** How the engine sends its own requests: `mfa.fetch`, with `internal` set for verify and co. */
export type InternalFetch = (
  url: string,
  init: RequestInit,
  internal?: boolean,
) => Promise<Response>;

/** The engine: the client's state and the decisions on each attempt, for the adapters. */
export type Engine = ReturnType<typeof createEngine>;

const noop = () => {};

/**
 * The transport-agnostic core, put together from its parts: the token refresh, the MFA session, the
 * challenge coordinator with the kit's step-up, the retryer and the clock sampler, all publishing
 * into one snapshot store. Adapters only move headers and responses between their HTTP client and
 * this engine: `before` each attempt, `after` each response, `handle` each failure, which asks the
 * failure handlers in order (see {@link FailureLink}). `send` is how the engine's own requests
 * go out (`mfa.fetch`).
 */
export function createEngine(
  o: ResolvedOptions,
  initialHandler: ChallengeHandler | null | undefined,
  send: InternalFetch,
  coordinator: Coordinator = localCoordinator,
) {
  const store = createStore<MfaSnapshot>({
    status: "idle",
    session: null,
    pendingChallenge: null,
    clockOffsetMs: 0,
    rateLimitedUntil: null,
  });
  /** Refreshes in flight (token and session). */
  let busy = 0;
  const emit: EngineCore["emit"] = (type, fields) => {
    try {
      o.onEvent?.({ type, ...fields } as MfaEvent);
    } catch {
      // A throwing listener never breaks a request.
    }
  };
  const { clock_: clock, sample_: sample } = createClockSampler(store, emit);
  // The origin's other tabs: loaded on demand, so that a client without them does not carry it.
  let tabs: Promise<TabCoordinator | null> | undefined;
  const core: EngineCore = {
    o,
    store_: store,
    clock,
    coordinator_: coordinator,
    emit,
    tabs_: () => (tabs ??= Promise.resolve(null)),
    publish_(delta = 0) {
      busy += delta;
      const p = challenges.pending_();
      store.set({
        pendingChallenge: p?.view_ ?? null,
        status: p ? p.phase_ : busy ? "refreshing" : "idle",
      });
    },
    async call(url, method = "POST", body, signal, internal) {
      const res = await send(
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
    },
  };
  const session = createMfaSession(core);
  const challenges = createChallengeCoordinator(core, initialHandler ?? null);
  const tokens = createTokenRefresh(core, (error) => {
    session.set_(null);
    challenges.cancel_(error);
  });
  const stepUp = createStepUp(core, challenges, session);
  const retry = createRetryHandler(core, o.retry && retryerOf(o.retry));

  /** Asked in this order about each failed attempt; the first to answer decides. */
  /** The `failureHandler` option (another kind of step-up) as a link: before the kit's own. */
  const extra: FailureLink = (ctx, f) =>
    o.failureHandler && !ctx.internal && f.wwwAuthenticate_ !== undefined
      ? problemOf(f)
          .then((problem) => o.failureHandler!(e, ctx, f.wwwAuthenticate_!, problem))
          .then((replay) => (replay === undefined ? undefined : replay ? "replay" : "pass"))
      : undefined;
  const handlers: readonly FailureLink[] = [
    abortHandler,
    tokens.handler_,
    extra,
    stepUp.handler_,
    retry.handler_,
  ];

  /** Fills in the token and the session token; waits only for an async `getAccessToken`. */
  const credentials = (ctx: RequestContext, sync?: boolean): void | Promise<void> => {
    const wait = tokens.fill_(ctx, sync);
    if (!wait) {
      ctx.session = session.get_()?.token;
      return;
    }
    return wait.then(() => {
      ctx.session = session.get_()?.token;
    });
  };

  const e = {
    o,
    clock,
    getSnapshot: store.getSnapshot,
    subscribe: store.subscribe,
    /** The first wrapped axios instance's `baseURL`: the API's address when `baseUrl` is unset. */
    wrappedBase: undefined as string | undefined,
    call: core.call,

    /** The API's address for calls without a request (`stepUp`, `api`). */
    base(): string {
      const url = o.baseUrl ?? pageUrl() ?? e.wrappedBase;
      if (!url) {
        throw new MfaOptionError(
          "baseUrl",
          "Set options.baseUrl: the client needs the API's address.",
        );
      }
      return url;
    },

    /**
     * Whether the next request can get its credentials without waiting: no token refresh in
     * flight, no session due for a refresh, and a `getAccessToken` known to answer at once.
     */
    ready: () => tokens.synchronous_() && !tokens.current_() && !session.due_(),

    /**
     * Puts the credentials of the next attempt into `ctx` (none when its origin is not allowed).
     * The one place of both paths: with `sync` it never waits (the adapter checked `ready()`, or
     * leaves the wait to a replay); without, it returns a promise only when it must wait: a token
     * refresh in flight, a session due for refresh, or an async `getAccessToken`.
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
        (tokens.current_() ??
          (!ctx.internal && session.due_() ? session.refresh_(ctx.url()) : null));
      // Whatever the refresh's outcome, the request then goes with the credentials there are.
      return wait
        ? abortable(wait.catch(noop), ctx.signal).then(() => credentials(ctx))
        : credentials(ctx, sync);
    },

    /** The token generation: incremented by each token refresh or re-authorization. */
    gen: tokens.generation_,

    /** Sends `token` instead of `stale` from now on (until `getAccessToken` gives another one). */
    useToken: tokens.adopt_,

    emit,

    /** Takes the clock sample of a response (errors included). */
    after(ctx: RequestContext, date: string | null | undefined): void {
      sample(date, ctx.sentAt);
    },

    /**
     * Decides what a failed attempt leads to: resolves `true` to replay the request, `false` to
     * hand the failure to the caller unchanged; rejects with an {@link MfaError}.
     */
    handle: (ctx: RequestContext, f: Failure): Promise<boolean> => handleFailure(handlers, ctx, f),

    /** Verifies now unless the session already satisfies `maxAge` / `acrValues`. */
    async stepUp(
      options: { maxAge?: number; acrValues?: string[]; signal?: AbortSignal } = {},
    ): Promise<MfaSessionInfo> {
      await stepUp.now_(options, e.base);
      return sessionInfo(session.get_()!);
    },

    /** Replaces the challenge handler; returns a function restoring the previous one. */
    setChallengeHandler: challenges.setHandler_,

    /** Rejects every request waiting on the pending challenge with `STEP_UP_CANCELLED`. */
    cancelChallenge: challenges.cancel_,

    /** Forgets the session and the refreshed token, and cancels a pending challenge (in every tab, when coordinated). */
    signOut(): void {
      forget();
      void core.tabs_().then((t) => t?.signedOut_());
    },
  };

  const forget = () => {
    challenges.cancel_();
    tokens.forget_();
    session.set_(null);
    retry.showLimit_(null);
  };

  if (o.tabs) {
    tabs = import("../tabs/tabCoordinator").then(
      ({ engineTabs }) => engineTabs(o.storageKey, session, challenges, tokens.adopt_, forget),
      () => null,
    );
  }
  return e;
}
