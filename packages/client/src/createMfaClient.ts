import { type AxiosLike, axiosAdapter } from "./adapters/axios";
import { fetchAdapter, type MfaFetch } from "./adapters/fetch";
import type { MfaClock } from "./engine/clock";
import { createEngine } from "./engine/engine";
import { type MfaClientOptions, resolveOptions } from "./engine/options";
import { createOrigins } from "./engine/origins";
import type { ChallengeHandler, MfaSessionInfo, MfaSnapshot } from "./engine/types";
import { createMfaApi, type MfaApi } from "./mfaApi";

/** Options of {@link MfaClient.stepUp}. */
export interface StepUpOptions {
  /** Maximum age in seconds of the last verification; 0 always verifies anew. Defaults to any age. */
  maxAge?: number;
  /** Acceptable authentication context classes. Defaults to any. */
  acrValues?: string[];
  /** Cancels the wait (the request rejects with `ABORTED`). Defaults to none. */
  signal?: AbortSignal;
}

/** One client: one state (session, refresh, challenge, clock) shared by every adapter. */
export interface MfaClient {
  /** Adds the client's interceptors to an axios instance and returns the same instance. */
  wrap<T extends AxiosLike>(instance: T): T;
  /** Removes them again. */
  unwrap<T extends AxiosLike>(instance: T): T;
  /** `fetch` with the same behaviour as a wrapped axios instance. */
  fetch: MfaFetch;
  /** Calls `listener` after each state change; returns the unsubscribe function. */
  subscribe(listener: (snapshot: MfaSnapshot) => void): () => void;
  /** The current state (immutable; the same object until something changes). */
  getSnapshot(): MfaSnapshot;
  /** Verifies now, before a sensitive action, unless the session already satisfies `options`. */
  stepUp(options?: StepUpOptions): Promise<MfaSessionInfo>;
  /** The server's time as this client knows it. */
  readonly clock: MfaClock;
  /** Forgets the MFA session and a refreshed token, and cancels a pending challenge. */
  signOut(): void;
  /** Replaces the challenge handler (`onChallenge`); returns a function restoring the previous one. */
  setChallengeHandler(handler: ChallengeHandler | null): () => void;
  /** Rejects every request waiting on the pending challenge with `STEP_UP_CANCELLED`. */
  cancelChallenge(reason?: unknown): void;
  /** Typed calls of the reference API's routes. */
  readonly api: MfaApi;
}

/**
 * Creates a client for an MFA-protected API. Wrap axios instances with `wrap`, or call `fetch`;
 * both share one engine: one token refresh, one challenge, one clock.
 *
 * @example
 * const mfa = createMfaClient({ origins: ["https://api.example.com"], getAccessToken: () => token });
 * const api = mfa.wrap(axios.create({ baseURL: "https://api.example.com" }));
 */
export function createMfaClient(options: MfaClientOptions = {}): MfaClient {
  const o = resolveOptions(options);
  const origins = createOrigins(o.origins, o.baseUrl);
  // The engine's own requests go through `mfa.fetch`, made from the engine just below.
  const engine = createEngine(o, options.onChallenge, (url, init, internal) =>
    run(url, init, internal),
  );
  const run = fetchAdapter(engine, origins);
  const { getSnapshot, subscribe, stepUp, clock, signOut, setChallengeHandler, cancelChallenge } =
    engine;
  return {
    ...axiosAdapter(engine, origins),
    fetch: (input, init) => run(input, init),
    subscribe,
    getSnapshot,
    stepUp,
    clock,
    signOut,
    setChallengeHandler,
    cancelChallenge,
    api: createMfaApi(engine),
  };
}
