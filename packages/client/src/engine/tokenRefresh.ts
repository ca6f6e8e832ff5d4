import type { EngineCore } from "./core";
import { bearerError, type FailureLink } from "./failure";
import { MfaError } from "./mfaError";
import { OWN_AUTHORIZATION, type RequestContext } from "./requestContext";
import { abortable } from "./wait";

/**
 * Owns the access token each attempt carries: the app's (`getAccessToken`) unless it is the very one
 * a refresh replaced, and the single-flight refresh (`refreshAccessToken`) shared by every request
 * that got a 401 `invalid_token`. A generation number counts the refreshes: an attempt sent before
 * the latest one is replayed with the new token instead of refreshing again. A failed refresh
 * rejects every waiting request with `REFRESH_FAILED` and is reported to `failed`.
 */
export function createTokenRefresh(core: EngineCore, failed: (error: MfaError) => void) {
  const { o } = core;
  /** Incremented by each refresh. */
  let generation = 0;
  /** The token the last refresh replaced, and the one it gave. */
  let replaced: [string | undefined, string] | null = null;
  /** Whether `getAccessToken` returns promises: unknown until its first call, then sticky. */
  let asyncTokens: boolean | undefined;
  /** The last token `getAccessToken` gave. */
  let lastToken: string | null | undefined;

  /** The token to send: the app's, unless it is the very one a refresh replaced. */
  const pick = (app: string | null | undefined) =>
    replaced && (!o.getAccessToken || app === replaced[0]) ? replaced[1] : (app ?? undefined);

  const flight = core.coordinator_.flight("mfa-kit.token", async (stale: string | undefined) => {
    core.publish_(1);
    let error: MfaError;
    try {
      // Across tabs, one of them refreshes and the others take its token.
      const tabs = await core.tabs_();
      const token = await (tabs
        ? tabs.refresh_(stale, o.refreshAccessToken!)
        : o.refreshAccessToken!());
      if (token && typeof token === "string") {
        adopt(stale, token);
        core.emit("token.refreshed");
        return;
      }
      error = new MfaError("REFRESH_FAILED", "refreshAccessToken must resolve with the new token.");
    } catch (cause) {
      error = new MfaError("REFRESH_FAILED", "Token refresh failed.", { cause });
    } finally {
      core.publish_(-1);
    }
    replaced = null;
    failed(error);
    throw error;
  });

  /** Sends `token` instead of `stale` from now on (a refresh, or a re-authorization, gave it). */
  const adopt = (stale: string | undefined, token: string) => {
    replaced = [stale, token];
    generation++;
  };

  const fill = (ctx: RequestContext, app: string | null | undefined) => {
    ctx.token = pick(app);
    ctx.gen = generation;
  };

  return {
    adopt_: adopt,
    /** Incremented by each refresh or adopted token. */
    generation_: () => generation,
    /** The refresh in flight, if any. */
    current_: flight.current,
    /** Whether `getAccessToken` is known to answer at once (it has, and never with a promise). */
    synchronous_: () => asyncTokens === false,
    /** Forgets the refreshed token (sign-out). */
    forget_(): void {
      replaced = null;
    },

    /**
     * Puts the token into `ctx`. Returns a promise only for an async `getAccessToken`, and never
     * with `sync`: then the last token the app gave goes (if it is stale, the 401 gets the new one
     * and the request replays).
     */
    fill_(ctx: RequestContext, sync?: boolean): void | Promise<void> {
      let app = o.getAccessToken?.();
      if (app instanceof Promise) {
        asyncTokens = true;
        if (!sync) {
          return app.then((token) => {
            lastToken = token;
            fill(ctx, token);
          });
        }
        app = lastToken;
      } else {
        asyncTokens ??= false;
        lastToken = app;
      }
      fill(ctx, app);
    },

    /**
     * The failure handler for a 401 `invalid_token` (RFC 6750): refresh once for everyone and
     * replay; an attempt sent before the latest refresh, or carrying a token older than the app's,
     * is replayed without refreshing. The failure goes to the caller as it is (`pass`) when there is
     * no `refreshAccessToken`, the caller set its own `Authorization`, or the request was already
     * replayed for a refresh once.
     */
    handler_: (async (ctx, failure) => {
      if (!bearerError(failure, "invalid_token")) return;
      if (!o.refreshAccessToken || ctx.own & OWN_AUTHORIZATION || ctx.refreshed) return "pass";
      ctx.refreshed = true;
      if (ctx.gen === generation && !flight.current()) {
        // The app may hold a newer token than this attempt carried: then just replay.
        const now = pick(await o.getAccessToken?.());
        if (now && now !== ctx.token) return "replay";
      }
      if (ctx.gen === generation) await abortable(flight(ctx.token), ctx.signal);
      return "replay";
    }) satisfies FailureLink,
  };
}
