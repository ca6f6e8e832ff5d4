import type { MfaSessionResponse } from "@mfa-kit/protocol";
import type { ChallengeCoordinator } from "../engine/challengeCoordinator";
import type { MfaSession } from "../engine/mfaSession";
import { toSession } from "../engine/session";

/** What a coordinator tells its engine about the other tabs of the origin. */
export interface TabHooks {
  /** Another tab stored a session, or removed it (`null`). */
  session_(session: MfaSessionResponse | null): void;
  /** Another tab refreshed the access token `stale` into `token`. */
  token_(stale: string | undefined, token: string): void;
  /** Another tab signed out. */
  signOut_(): void;
  /** The prompt shown in another tab was cancelled there. */
  cancelled_(): void;
  /** This tab's session, for another tab that asks (see {@link TabCoordinator.latest_}). */
  current_(): MfaSessionResponse | null;
}

/** Shares one token refresh, one step-up prompt and sign-out among the tabs of an origin. */
export interface TabCoordinator {
  /**
   * Refreshes the access token once for every tab: under a Web Lock, unless another tab already
   * turned `stale` into a new token (then that one). Without Web Locks, refreshes here and tells
   * the other tabs (their waiting calls take the new token, none of them refreshes again).
   */
  refresh_(stale: string | undefined, run: () => Promise<string>): Promise<string>;
  /**
   * Runs `run` (the prompt) once this tab holds the prompt, so that one tab prompts at a time;
   * resolves `undefined` without running it when `answered` settles first (another tab's
   * verification arrived). A tab closed mid-prompt releases it: the next waiting tab prompts.
   */
  prompt_<T>(
    signal: AbortSignal,
    answered: Promise<void>,
    run: () => Promise<T>,
  ): Promise<T | undefined>;
  /**
   * The session another tab holds when it is not `known`: the answer of a prompt shown there,
   * which this tab's `localStorage` may not show yet (a browser copies it across its processes
   * lazily, and may grant the prompt's lock first). `null` when no tab tells of one soon.
   */
  latest_(known: string | undefined): Promise<MfaSessionResponse | null>;
  /** Tells the other tabs this one signed out. */
  signedOut_(): void;
  /** Tells the other tabs the prompt shown here was cancelled. */
  cancelled_(): void;
  /** Stops listening. */
  close_(): void;
}

type Message =
  | { t: "token"; stale?: string; token: string }
  | { t: "ask"; stale?: string }
  | { t: "which"; known?: string }
  | { t: "session"; known?: string; value: string }
  | { t: "signout" }
  | { t: "cancelled" };

interface LockManagerLike {
  request<T>(
    name: string,
    options: { signal?: AbortSignal },
    callback: () => Promise<T>,
  ): Promise<T>;
}

/** How long a tab that got the refresh lock waits for another tab to say it refreshed already. */
const ASK_MS = 100;

/**
 * The tab coordination of a client whose session lives in `localStorage` under `key`: the
 * session follows the other tabs' `storage` events, and a BroadcastChannel named after `key`
 * carries refreshed tokens, sign-outs and cancelled prompts. `null` where there is no
 * BroadcastChannel (outside browsers).
 */
export function createTabCoordinator(key: string, hooks: TabHooks): TabCoordinator | null {
  const g = globalThis as {
    BroadcastChannel?: typeof BroadcastChannel;
    navigator?: { locks?: LockManagerLike };
    addEventListener?: typeof addEventListener;
    removeEventListener?: typeof removeEventListener;
  };
  if (!g.BroadcastChannel) return null;
  const channel = new g.BroadcastChannel(`mfa-kit:${key}`);
  const locks = g.navigator?.locks;
  /** Tokens refreshed here or in another tab, by the token they replaced. */
  const tokens = new Map<string | undefined, string>();
  const waiters = new Set<(m: Message) => void>();
  const post = (m: Message) => channel.postMessage(m);

  channel.onmessage = ({ data }: MessageEvent<Message>) => {
    if (data?.t === "token" && typeof data.token === "string") {
      tokens.set(data.stale, data.token);
      hooks.token_(data.stale, data.token);
    } else if (data?.t === "ask") {
      const token = tokens.get(data.stale);
      if (token) post({ t: "token", stale: data.stale, token });
    } else if (data?.t === "which") {
      const current = hooks.current_();
      if (current && current.token !== data.known) {
        post({ t: "session", known: data.known, value: JSON.stringify(current) });
      }
    } else if (data?.t === "signout") hooks.signOut_();
    else if (data?.t === "cancelled") hooks.cancelled_();
    for (const waiter of waiters) waiter(data);
  };

  const read = (value: string | null): MfaSessionResponse | null => {
    try {
      return toSession(JSON.parse(value ?? "null")) || null;
    } catch {
      return null;
    }
  };
  const onStorage = (event: StorageEvent) => {
    if (event.key === key || event.key === null) hooks.session_(read(event.newValue));
  };
  g.addEventListener?.("storage", onStorage as EventListener);

  /** Posts `question`, then waits for the first message `answer` reads a value from (`undefined` if none comes soon). */
  const ask = <T>(question: Message, answer: (m: Message) => T | undefined) =>
    new Promise<T | undefined>((resolve) => {
      const done = (value?: T) => {
        waiters.delete(waiter);
        clearTimeout(timer);
        resolve(value);
      };
      const waiter = (m: Message) => {
        const value = answer(m);
        if (value !== undefined) done(value);
      };
      const timer = setTimeout(done, ASK_MS);
      waiters.add(waiter);
      post(question);
    });

  const refreshHere = async (stale: string | undefined, run: () => Promise<string>) => {
    const token = await run();
    tokens.set(stale, token);
    post({ t: "token", stale, token });
    return token;
  };

  return {
    refresh_: async (stale, run) => {
      const known = tokens.get(stale);
      if (known) return known;
      if (!locks) return refreshHere(stale, run);
      return locks.request(`mfa-kit:${key}:refresh`, {}, async () => {
        // The tab that held the lock before may have refreshed this very token.
        const done =
          tokens.get(stale) ??
          (await ask({ t: "ask", stale }, (m) =>
            m?.t === "token" && m.stale === stale ? m.token : undefined,
          ));
        return done ?? refreshHere(stale, run);
      });
    },

    prompt_: async (signal, answered, run) => {
      if (!locks) return run();
      const ac = new AbortController();
      let wasAnswered = false;
      const stop = () => ac.abort(signal.reason);
      signal.addEventListener("abort", stop);
      void answered.then(() => {
        wasAnswered = true;
        ac.abort();
      });
      try {
        return await locks.request(`mfa-kit:${key}:prompt`, { signal: ac.signal }, run);
      } catch (error) {
        if (wasAnswered) return undefined;
        throw error;
      } finally {
        signal.removeEventListener("abort", stop);
      }
    },

    latest_: async (known) =>
      (await ask({ t: "which", known }, (m) =>
        m?.t === "session" && m.known === known ? read(m.value) : undefined,
      )) ?? null,

    signedOut_: () => post({ t: "signout" }),
    cancelled_: () => post({ t: "cancelled" }),
    close_: () => {
      channel.close();
      g.removeEventListener?.("storage", onStorage as EventListener);
    },
  };
}

/**
 * The tab coordination of an engine (see {@link createTabCoordinator}): another tab's session is
 * adopted (and answers this tab's wait to prompt when it is a new one), its refreshed token is
 * sent from then on (`adoptToken`), its sign-out signs out here (`signOut`), and its cancelled
 * prompt ends this tab's wait.
 */
export function engineTabs(
  key: string,
  session: MfaSession,
  challenges: ChallengeCoordinator,
  adoptToken: TabHooks["token_"],
  signOut: () => void,
): TabCoordinator | null {
  return createTabCoordinator(key, {
    session_(next) {
      const known = session.get_()?.token;
      session.adopt_(next);
      if (next && next.token !== known) challenges.fromTab_("answered");
    },
    token_: adoptToken,
    signOut_: signOut,
    cancelled_: () => challenges.fromTab_("cancelled"),
    current_: () => session.get_(),
  });
}
