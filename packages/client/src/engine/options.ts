import { DEFAULT_BASE_PATH, type MfaProblem, type MfaRouteName, mfaPath } from "@mfa-kit/protocol";
import { MfaOptionError } from "@mfa-kit/protocol/vocabulary";
import type { Engine } from "./engine";
import type { MfaEventListener } from "./events";
import type { RequestContext } from "./requestContext";
import { DEFAULT_RETRY, type RetryOptions } from "./retryPolicy";
import type { ChallengeHandler } from "./types";

/** A synchronous key/value store such as `sessionStorage`. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Where the reference API's routes live. */
export interface MfaPaths {
  /** The base path of the MFA routes. Defaults to `/mfa`. */
  base?: string;
  /** Where answers are posted. Defaults to `{base}/verify`. */
  verify?: string;
  /** Where the session is refreshed. Defaults to `{base}/session/refresh`. */
  refreshSession?: string;
  /** Where the factors are listed when a challenge names none. Defaults to `{base}/factors`. */
  factors?: string;
}

/** How the MFA session is kept. */
export interface MfaSessionOptions {
  /** Refresh the session this long before it expires (server clock). Defaults to 60 000 ms. */
  refreshBeforeMs?: number;
  /** Where the session survives reloads: `"localStorage"` shares it with the origin's other tabs (see `tabs`). Defaults to `"memory"` (it does not). */
  storage?: "memory" | "sessionStorage" | "localStorage" | StorageLike;
  /** The storage key. Defaults to `"mfa-kit.session"`. */
  storageKey?: string;
}

/** Options of {@link createMfaClient}. */
export interface MfaClientOptions {
  /** Origins credentials may be sent to. Defaults to the page's origin in a browser, none elsewhere; `baseUrl` and each wrapped instance's `baseURL` are always allowed. */
  origins?: string[];
  /** Resolves relative URLs of `mfa.fetch` and `mfa.api`. Defaults to the page's origin in a browser; required in Node for relative URLs. */
  baseUrl?: string;
  /** The app's access token, sent as `Authorization: Bearer`. Defaults to none. */
  getAccessToken?: () => string | null | undefined | Promise<string | null | undefined>;
  /** Gets a new access token after a 401 `invalid_token`. Defaults to none: such a 401 is passed on. */
  refreshAccessToken?: () => Promise<string>;
  /** Answers challenges. Defaults to none: a challenge rejects with `STEP_UP_REQUIRED`. */
  onChallenge?: ChallengeHandler | null;
  /** The reference API's routes. Defaults to `/mfa/...`. */
  paths?: MfaPaths;
  /** How the MFA session is kept. Defaults to memory, refreshed 60 s before expiry. */
  session?: MfaSessionOptions;
  /** Retry policy, or `false` for none. Defaults to 3 retries, 500 ms base, 15 min window. */
  retry?: Partial<RetryOptions> | false;
  /** Add an `Idempotency-Key` to POST and PATCH so they can be retried. Defaults to `false`. */
  idempotencyKeys?: boolean;
  /** Per-attempt timeout, 1–30 000 ms (a wrapped axios instance's or request's own `timeout` wins). Defaults to 10 000 ms. */
  timeoutMs?: number;
  /** Told about retries, refreshes, step-ups, clock skew and rate limits. Defaults to none. */
  onEvent?: MfaEventListener;
  /** The `fetch` used by `mfa.fetch`. Defaults to `globalThis.fetch` at call time. */
  fetch?: typeof fetch;
  /** Coordinate with the origin's other tabs: one token refresh (Web Locks), one step-up prompt, sign-out everywhere. Defaults to `true` with `session.storage: "localStorage"`, else `false`. */
  tabs?: boolean;
  /**
   * A step-up of another kind, asked about each 401 with credentials before the kit's own
   * (`@mfa-kit/client/oauth` sets it to re-authorize at the OpenID Provider): `true` replays the
   * request, `false` hands the failure on, `undefined` leaves it to the kit. Defaults to none.
   */
  failureHandler?: FailureHandler;
}

/**
 * An extra failure handler (see {@link MfaClientOptions.failureHandler}), given the engine, the
 * request's context, the `WWW-Authenticate` field and the problem body of a 401.
 */
export type FailureHandler = (
  engine: Engine,
  ctx: RequestContext,
  wwwAuthenticate: string | null,
  problem: MfaProblem | null,
) => boolean | undefined | Promise<boolean | undefined>;

/** The options with every default filled in. */
export interface ResolvedOptions
  extends Omit<MfaClientOptions, "paths" | "session" | "retry" | "timeoutMs"> {
  paths: Required<MfaPaths>;
  refreshBeforeMs: number;
  storage: MfaSessionOptions["storage"];
  storageKey: string;
  tabs: boolean;
  retry: RetryOptions | null;
  timeoutMs: number;
}

/** `value`, or an `MfaOptionError` naming the option when it is not from `min` to `max` (default 4 h). */
function check(name: string, value: number, min = 0, max = 14_400_000): number {
  if (!(value >= min && value <= max)) {
    throw new MfaOptionError(name, `${name} must be from ${min} to ${max}, not ${value}.`);
  }
  return value;
}

/** Merges the options over the defaults and checks the numbers (an `MfaOptionError` names a bad one). */
export function resolveOptions(options: MfaClientOptions): ResolvedOptions {
  const { paths = {}, session = {}, retry } = options;
  const base = paths.base ?? DEFAULT_BASE_PATH;
  const r = retry === false ? null : { ...DEFAULT_RETRY, ...retry };
  for (const key in r) check(`retry.${key}`, r[key as keyof RetryOptions]);
  const path = (name: keyof MfaPaths, route: MfaRouteName) =>
    paths[name] ?? mfaPath(route, {}, base);
  return {
    ...options,
    paths: {
      base,
      verify: path("verify", "verify"),
      refreshSession: path("refreshSession", "refreshSession"),
      factors: path("factors", "listFactors"),
    },
    refreshBeforeMs: check("session.refreshBeforeMs", session.refreshBeforeMs ?? 60_000),
    storage: session.storage,
    storageKey: session.storageKey ?? "mfa-kit.session",
    tabs: options.tabs ?? session.storage === "localStorage",
    retry: r,
    timeoutMs: check("timeoutMs", options.timeoutMs ?? 10_000, 1, 30_000),
  };
}
