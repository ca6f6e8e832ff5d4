import type { MfaSessionResponse, StepUpChallenge } from "@mfa-kit/protocol";
import type { KitContext } from "../context";
import { toBase64Url, utf8 } from "../crypto/encoding";

/** What a live MFA session asserts. */
export interface MfaSessionClaims {
  userId: string;
  /** Authentication context class reached: `mfa`, or `phr` (phishing-resistant, WebAuthn). */
  acr: string;
  /** RFC 8176 method references, e.g. `["otp", "mfa"]`. */
  amr: string[];
  /** When a factor was last verified (epoch milliseconds): step-up `max_age` counts from here. */
  authTime: number;
  /** Epoch milliseconds. */
  expiresAt: number;
  /** The factor verified, when it was one (not a backup code). */
  factorId?: string;
}

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

interface StoredClaims {
  acr: string;
  amr: string[];
  authTime: number;
  factorId?: string;
}

const TOKEN_KEY = utf8("mfa-kit/session-token/v1");
const TOKEN = /^[A-Za-z0-9_-]{16,128}$/;

/** The store key of a token: its SHA-256 HMAC under a fixed label. The token itself is never stored. */
export const tokenHash = (ctx: KitContext, token: string) =>
  toBase64Url(ctx.crypto.hmac("sha256", TOKEN_KEY, utf8(token)));

/** Issues a session: 256 random bits, stored by hash, carrying `acr`, `amr` and `authTime`. */
export async function issueSession(
  ctx: KitContext,
  userId: string,
  claims: StoredClaims,
): Promise<MfaSessionResponse> {
  const now = ctx.now();
  const { ttlMs, maxLifetimeMs } = ctx.options.sessions;
  const token = toBase64Url(ctx.crypto.randomBytes(32));
  const expiresAt = Math.min(now + ttlMs, claims.authTime + maxLifetimeMs);
  await ctx.store.createSession(
    tokenHash(ctx, token),
    { userId, expiresAt, value: JSON.stringify(claims) },
    now,
  );
  return { token, expiresAt, acr: claims.acr, amr: claims.amr, authTime: claims.authTime };
}

const parse = (value: string): StoredClaims | null => {
  try {
    const v = JSON.parse(value) as StoredClaims;
    return typeof v.acr === "string" && Array.isArray(v.amr) && typeof v.authTime === "number"
      ? v
      : null;
  } catch {
    return null;
  }
};

const baseChallenge = (req: SessionRequirements): StepUpChallenge => ({
  acrValues: req.acrValues && req.acrValues.length > 0 ? [...req.acrValues] : ["mfa"],
});

/** Whether a session's `acr` satisfies the acceptable values (`phr` also satisfies `mfa`). */
export const acrSatisfies = (acr: string, acrValues: string[] | undefined) =>
  !acrValues ||
  acrValues.length === 0 ||
  acrValues.includes(acr) ||
  (acr === "phr" && acrValues.includes("mfa"));

/**
 * Checks a session token: hash it, one store lookup, then the freshness and strength the action
 * demands. The hot path of every protected call.
 */
export async function checkSession(
  ctx: KitContext,
  token: unknown,
  req: SessionRequirements = {},
): Promise<SessionCheck> {
  const invalid = (): SessionCheck => ({
    ok: false,
    reason: "invalid_session",
    challenge: baseChallenge(req),
  });
  if (typeof token !== "string" || !TOKEN.test(token)) return invalid();
  const now = ctx.now();
  const session = await ctx.store.getSession(tokenHash(ctx, token), now);
  const claims = session && parse(session.value);
  if (!session || !claims) return invalid();
  if (!acrSatisfies(claims.acr, req.acrValues)) {
    return { ok: false, reason: "step_up_required", challenge: baseChallenge(req) };
  }
  if (req.maxAgeMs !== undefined && now - claims.authTime > req.maxAgeMs) {
    return {
      ok: false,
      reason: "step_up_required",
      challenge: { ...baseChallenge(req), maxAge: Math.floor(req.maxAgeMs / 1000) },
    };
  }
  const out: MfaSessionClaims = {
    userId: session.userId,
    acr: claims.acr,
    amr: claims.amr,
    authTime: claims.authTime,
    expiresAt: session.expiresAt,
  };
  if (claims.factorId !== undefined) out.factorId = claims.factorId;
  return { ok: true, claims: out };
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
  const claims = current && parse(current.value);
  if (!claims) return { ok: false, reason: "invalid_session" };
  const { ttlMs, maxLifetimeMs } = ctx.options.sessions;
  const expiresAt = Math.max(
    current.expiresAt,
    Math.min(now + ttlMs, claims.authTime + maxLifetimeMs),
  );
  const touched = await ctx.store.touchSession(hash, expiresAt, now);
  if (!touched) return { ok: false, reason: "invalid_session" };
  return {
    ok: true,
    session: {
      token,
      expiresAt: touched.expiresAt,
      acr: claims.acr,
      amr: claims.amr,
      authTime: claims.authTime,
    },
  };
}

/** Revokes the session of `token`; `true` when there was one. */
export async function revokeSession(ctx: KitContext, token: unknown): Promise<boolean> {
  if (typeof token !== "string" || !TOKEN.test(token)) return false;
  return ctx.store.revokeSession(tokenHash(ctx, token));
}
