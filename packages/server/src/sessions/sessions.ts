import type { MfaSessionResponse, StepUpChallenge } from "@mfa-kit/protocol";
import { emit, type KitContext } from "../context";
import { toBase64Url } from "../crypto/encoding";
import { answersAtOnce } from "../stores/syncSessions";
import type { StoredSession } from "../stores/types";

/**
 * What a live MFA session asserts: the user, `acr`, `amr`, `authTime`, `expiresAt` and the factor
 * verified. Read-only: the memory store hands every check the same frozen record.
 */
export type MfaSessionClaims = StoredSession;

/** What {@link checkSession} demands of a session. */
export interface SessionRequirements {
  /** The last verification must be at most this old (step-up for sensitive actions). */
  maxAgeMs?: number;
  /** Acceptable `acr` values; `phr` satisfies `mfa`. */
  acrValues?: string[];
}

/** The answer of `checkSession`. */
export type SessionCheck =
  | { ok: true; claims: MfaSessionClaims }
  | {
      ok: false;
      /** `invalid_session`: unknown, expired or revoked. `step_up_required`: too old or too weak. */
      reason: "invalid_session" | "step_up_required";
      /** The RFC 9470 challenge to answer with (`formatStepUpChallenge`). */
      challenge: StepUpChallenge;
    };

/** What a session asserts besides its user and expiry. */
interface SessionProof {
  acr: string;
  amr: string[];
  authTime: number;
  factorId?: string;
}

/** A token: base64url, after the store's tag of its user and a dot when the store has tags. */
const TOKEN = /^(?:[A-Za-z0-9_-]{1,32}\.)?[A-Za-z0-9_-]{16,128}$/;
const TAG = /^[A-Za-z0-9_-]{1,32}$/;

/** The SHA-256 (base64url) of a token, after its tag and a dot when it carries one. */
const hashOf = (ctx: KitContext, token: string) => {
  const dot = token.indexOf(".");
  const hash = ctx.crypto.sha256(token);
  return dot < 0 ? hash : `${token.slice(0, dot)}.${hash}`;
};

/**
 * The store key of a token: its SHA-256 (base64url), after the token's tag (see
 * `MfaStore.sessionTokenTag`) and a dot when it carries one. The token is 256 random bits, so a
 * keyed hash adds nothing; the token itself is never stored.
 */
export const tokenHash = (ctx: KitContext, token: string) =>
  ctx.tokenHashes.get(token) ?? hashOf(ctx, token);

/**
 * A new session token of `userId`: 256 bits from the CSPRNG, base64url, after the store's tag of
 * the user and a dot when the store has tags.
 */
export const newToken = (ctx: KitContext, userId: string) => {
  const random = toBase64Url(ctx.crypto.randomBytes(32));
  const tag = ctx.store.sessionTokenTag?.(userId);
  if (tag === undefined) return random;
  if (typeof tag !== "string" || !TAG.test(tag)) {
    throw new TypeError("store.sessionTokenTag must answer 1 to 32 characters of A-Z a-z 0-9 _ -");
  }
  return `${tag}.${random}`;
};

/** When a session verified at `authTime` and issued or refreshed at `now` ends. */
export const sessionExpiry = (ctx: KitContext, authTime: number, now: number) =>
  Math.min(now + ctx.options.sessions.ttlMs, authTime + ctx.options.sessions.maxLifetimeMs);

/** Issues a session on its own (one store call): 256 random bits, stored by hash. */
export async function issueSession(
  ctx: KitContext,
  userId: string,
  proof: SessionProof,
): Promise<MfaSessionResponse> {
  const now = ctx.now();
  const token = newToken(ctx, userId);
  const expiresAt = sessionExpiry(ctx, proof.authTime, now);
  await ctx.store.createSession(tokenHash(ctx, token), { userId, expiresAt, ...proof }, now);
  return { token, expiresAt, acr: proof.acr, amr: proof.amr, authTime: proof.authTime };
}

/** Whether a session's `acr` satisfies the acceptable values (`phr` also satisfies `mfa`). */
const acrSatisfies = (acr: string, acrValues: string[] | undefined) =>
  !acrValues ||
  acrValues.length === 0 ||
  acrValues.includes(acr) ||
  (acr === "phr" && acrValues.includes("mfa"));

const baseChallenge = (req: SessionRequirements): StepUpChallenge => ({
  acrValues: req.acrValues && req.acrValues.length > 0 ? [...req.acrValues] : ["mfa"],
});

const invalid = (req: SessionRequirements): SessionCheck => ({
  ok: false,
  reason: "invalid_session",
  challenge: baseChallenge(req),
});

const NO_REQUIREMENTS: SessionRequirements = {};

/**
 * Whether a session was issued by a clock ahead of this one: its `authTime`, or the time its
 * expiry counts from, lies more than `sessions.clockToleranceMs` in the future. `now - authTime`
 * would read as fresh for any `max_age` until the clocks meet, so such a session is fresh for none;
 * `clock.suspect` fires once per instance.
 */
function fromTheFuture(ctx: KitContext, session: StoredSession, now: number): boolean {
  const { clockToleranceMs, ttlMs } = ctx.options.sessions;
  const horizon = now + clockToleranceMs;
  // A session expires `ttlMs` after it was issued or last refreshed (or earlier, at its maximum
  // lifetime): an expiry later than `horizon + ttlMs` was computed from a clock ahead of this one.
  if (session.authTime <= horizon && session.expiresAt - ttlMs <= horizon) return false;
  if (!ctx.clockSuspected) {
    ctx.clockSuspected = true;
    emit(ctx, {
      type: "clock.suspect",
      userId: session.userId,
      aheadMs: Math.max(session.authTime, session.expiresAt - ttlMs) - now,
    });
  }
  return true;
}

/** The verdict on a session the store found (or not) for the requirements. */
function verdict(
  ctx: KitContext,
  session: StoredSession | null,
  now: number,
  req: SessionRequirements,
): SessionCheck {
  if (session === null) return invalid(req);
  if (req.acrValues !== undefined && !acrSatisfies(session.acr, req.acrValues)) {
    return { ok: false, reason: "step_up_required", challenge: baseChallenge(req) };
  }
  if (
    req.maxAgeMs !== undefined &&
    (now - session.authTime > req.maxAgeMs || fromTheFuture(ctx, session, now))
  ) {
    return {
      ok: false,
      reason: "step_up_required",
      challenge: { ...baseChallenge(req), maxAge: Math.floor(req.maxAgeMs / 1000) },
    };
  }
  return { ok: true, claims: session };
}

/** Whether a maybe-synchronous answer is a promise (any thenable). */
export const isPromise = <T>(value: T | Promise<T>): value is Promise<T> =>
  typeof (value as { then?: unknown } | null)?.then === "function";

/**
 * {@link checkSession} without a promise when the store answers at once (the memory store does):
 * the token's hash (computed once while its session lives), one lookup, the freshness and strength
 * checks. The guards' hot path.
 */
export function checkSessionNow(
  ctx: KitContext,
  token: unknown,
  req: SessionRequirements = NO_REQUIREMENTS,
): SessionCheck | Promise<SessionCheck> {
  if (typeof token !== "string" || !TOKEN.test(token)) return invalid(req);
  const now = ctx.now();
  const known = ctx.tokenHashes.get(token);
  const hash = known ?? hashOf(ctx, token);
  const { store } = ctx;
  const found = store.getSession(hash, now);
  // A store known to answer at once hands back a record or null: no need to look for a `then`.
  if (found !== null && !answersAtOnce(store.getSession) && isPromise(found)) {
    return found.then((s) => settle(ctx, token, hash, known, s, now, req));
  }
  return settle(ctx, token, hash, known, found as StoredSession | null, now, req);
}

/**
 * The verdict on the store's answer for `token`, after updating what is known of its hash: kept
 * while its session lives (unused entries age out when the cache is full), forgotten as soon as the
 * store has no session for it. A known token of a live session costs no write.
 */
function settle(
  ctx: KitContext,
  token: string,
  hash: string,
  known: string | undefined,
  session: StoredSession | null,
  now: number,
  req: SessionRequirements,
): SessionCheck {
  if (session === null) {
    if (known !== undefined) ctx.tokenHashes.delete(token);
  } else if (known === undefined) {
    ctx.tokenHashes.set(token, hash);
  }
  return verdict(ctx, session, now, req);
}

/**
 * Checks a session token: its hash, one store lookup, then the freshness and strength the action
 * demands. The hot path of every protected call: the claims are the stored session itself.
 */
export async function checkSession(
  ctx: KitContext,
  token: unknown,
  req: SessionRequirements = NO_REQUIREMENTS,
): Promise<SessionCheck> {
  return checkSessionNow(ctx, token, req);
}

/**
 * The property under which a server from `createMfaServer` carries {@link checkSessionNow}, for the
 * guards. A registered symbol, so it holds across the package's builds (ESM, CJS, `node` condition).
 */
export const SESSION_CHECK_NOW: unique symbol = Symbol.for(
  "@mfa-kit/server:checkSessionNow",
) as never;

/** The function the guards check sessions with: {@link checkSessionNow} when the server has it. */
export function sessionChecker(mfa: {
  checkSession(token: string, req?: SessionRequirements): Promise<SessionCheck>;
}): (token: string, req: SessionRequirements) => SessionCheck | Promise<SessionCheck> {
  const now = (mfa as { [SESSION_CHECK_NOW]?: unknown })[SESSION_CHECK_NOW];
  return typeof now === "function"
    ? (now as (token: string, req: SessionRequirements) => SessionCheck | Promise<SessionCheck>)
    : (token, req) => mfa.checkSession(token, req);
}

/** The answer of `refreshSession`. */
export type SessionRefresh =
  | { ok: true; session: MfaSessionResponse }
  | { ok: false; reason: "invalid_session" };

/**
 * Extends a live session by `sessions.ttlMs` (never past `authTime + sessions.maxLifetimeMs`);
 * the token and `authTime` stay the same.
 */
export async function refreshSession(ctx: KitContext, token: unknown): Promise<SessionRefresh> {
  if (typeof token !== "string" || !TOKEN.test(token)) {
    return { ok: false, reason: "invalid_session" };
  }
  const now = ctx.now();
  const hash = tokenHash(ctx, token);
  const current = await ctx.store.getSession(hash, now);
  if (current === null) return { ok: false, reason: "invalid_session" };
  const expiresAt = Math.max(current.expiresAt, sessionExpiry(ctx, current.authTime, now));
  const touched = await ctx.store.touchSession(hash, expiresAt, now);
  if (!touched) return { ok: false, reason: "invalid_session" };
  return {
    ok: true,
    session: {
      token,
      expiresAt: touched.expiresAt,
      acr: touched.acr,
      amr: [...touched.amr],
      authTime: touched.authTime,
    },
  };
}

/** Revokes the session of `token`; `true` when it was live. */
export async function revokeSession(ctx: KitContext, token: unknown): Promise<boolean> {
  if (typeof token !== "string" || !TOKEN.test(token)) return false;
  const hash = tokenHash(ctx, token);
  ctx.tokenHashes.delete(token);
  return ctx.store.revokeSession(hash, ctx.now());
}
