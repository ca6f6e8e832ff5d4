import type { MfaSessionResponse } from "@mfa-kit/protocol";
import type { EngineCore } from "./core";
import { sessionInfo, sessionPersistence, toSession } from "./session";

/** A failed session refresh is not tried again sooner than this. */
const SESSION_RETRY_MS = 5_000;

/** The MFA session and its upkeep (see {@link createMfaSession}). */
export type MfaSession = ReturnType<typeof createMfaSession>;

/**
 * Keeps the MFA session: loads it from and saves it to the configured storage, publishes it in the
 * snapshot (without its token), and refreshes it `refreshBeforeMs` before it expires on the
 * server's clock, once for every request that finds it due. A session the API no longer extends is
 * kept until it expires; one it rejects (401) is dropped, so that the next guarded call steps up.
 */
export function createMfaSession(core: EngineCore) {
  const { o, store_: store, clock } = core;
  const persistence = sessionPersistence(o.storage, o.storageKey);
  let session: MfaSessionResponse | null = null;
  /** Before this (local epoch ms) the session is not refreshed, whatever its age. */
  let retryAt = 0;
  /** Takes `next` as the session and shows it, without storing it. */
  const show = (next: MfaSessionResponse | null) => {
    session = next;
    store.set({ session: next && sessionInfo(next) });
  };
  show(persistence.load_());

  const set = (next: MfaSessionResponse | null) => {
    persistence.save_(next);
    show(next);
  };

  const refresh = core.coordinator_.flight("mfa-kit.session", async (url: string) => {
    const s = session;
    core.publish_(1);
    retryAt = Date.now() + SESSION_RETRY_MS;
    try {
      const res = await core.call(
        new URL(o.paths.refreshSession, url).href,
        "POST",
        undefined,
        undefined,
        true,
      );
      const next = res.status < 300 && toSession(res.body);
      if (next) {
        set(next);
        core.emit("session.refreshed", { session: sessionInfo(next) });
        // A session the API will not extend is not asked again before it expires.
        retryAt = Date.now() + next.expiresAt - clock.now() - o.refreshBeforeMs;
      } else if (res.status === 401 && session === s) {
        set(null); // the next guarded call steps up
      }
    } catch {
      // Kept until it expires; tried again after SESSION_RETRY_MS.
    } finally {
      core.publish_(-1);
    }
  });

  return {
    /** The session, with its token, or `null`. */
    get_: () => session,
    set_: set,
    /** Takes the session another tab stored (or removed), without storing it again. */
    adopt_: show,
    /** The session in storage now (another tab may have stored it). */
    stored_: () => persistence.load_(),
    /** Whether the session is due for a refresh (and did not just fail to refresh). */
    due_: () =>
      !!session && clock.now() >= session.expiresAt - o.refreshBeforeMs && Date.now() >= retryAt,
    /** Refreshes the session at the API of `url` (the request that found it due). */
    refresh_: refresh,
  };
}
