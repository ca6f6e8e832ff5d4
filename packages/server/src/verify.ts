import type { MfaSessionResponse, WebAuthnJSON } from "@mfa-kit/protocol";
import { emit, eventContext, type KitContext } from "./context";
import type { VerifyContext } from "./events/types";
import { checkBackupCode } from "./factors/backupCodes";
import { checkContactCode } from "./factors/contactCodes";
import { type FactorInfo, isActive } from "./factors/factorRecord";
import { checkHotp } from "./factors/hotp";
import { type CheckFailure, type CheckOutcome, worstFailure } from "./factors/outcome";
import { checkTotp } from "./factors/totp";
import { checkAssertion } from "./factors/webauthn";
import { type Gate, openGate, recordFailure, recordSuccess } from "./limits/limiter";
import { assessLocation, rememberSuccess } from "./risk";
import { issueSession } from "./sessions/sessions";
import type { FactorRecord } from "./stores/types";

/** What `verify` checks: exactly one of `code`, `webauthn`, `backupCode`. */
export interface VerifyInput {
  userId: string;
  /** The factor the code belongs to. Without it, a code is tried against every code factor. */
  factorId?: string;
  /** The challenge from `startChallenge` (names the factor; for SMS / e-mail, the live code). */
  challengeId?: string;
  /** A TOTP, HOTP, SMS or e-mail code. */
  code?: string;
  /** The `AuthenticationResponseJSON` from `startAuthentication()`. */
  webauthn?: WebAuthnJSON;
  /** One of the user's backup codes. */
  backupCode?: string;
  /** Where the request came from: drives `device.new` and `location.changed`. */
  context?: VerifyContext;
}

/** Why a verification did not issue a session. */
export type VerifyFailureReason =
  | CheckFailure
  | "invalid_request"
  | "factor_not_found"
  | "locked"
  | "rate_limited"
  | "additional_factor_required";

/** A verification that did not issue a session. */
export interface VerifyFailure {
  ok: false;
  reason: VerifyFailureReason;
  /** Failures left before a lock, after a counted failure. */
  attemptsLeft?: number;
  /** For `locked` and `rate_limited`: how long to wait. */
  retryAfterMs?: number;
  /** For `additional_factor_required`: the other factors the user can verify with. */
  factors?: FactorInfo[];
  /** For `additional_factor_required`: whether a backup code is accepted as the second factor. */
  backupCodes?: boolean;
}

/** The answer of `verify`. */
export type VerifyResult = { ok: true; session: MfaSessionResponse } | VerifyFailure;

const CODE_TYPES = ["totp", "hotp", "sms", "email"];

/** Checks a code against one factor record, by type. */
export function checkCode(
  ctx: KitContext,
  userId: string,
  factorId: string,
  record: FactorRecord,
  code: unknown,
  challengeId: string | undefined,
  strict: boolean,
): Promise<CheckOutcome> {
  switch (record.type) {
    case "totp":
      return checkTotp(ctx, userId, factorId, record, code);
    case "hotp":
      return checkHotp(ctx, userId, factorId, record, code);
    case "sms":
    case "email":
      return checkContactCode(ctx, userId, factorId, record, code, challengeId, strict);
    default:
      return Promise.resolve({ ok: false, reason: "invalid_code" });
  }
}

/** Turns a failed check into the result, counting it (and maybe locking). */
export async function failed(
  ctx: KitContext,
  userId: string,
  gate: Extract<Gate, { ok: true }>,
  reason: CheckFailure,
  details: { factorId?: string; context?: VerifyContext },
): Promise<VerifyFailure> {
  const verdict = await recordFailure(ctx, userId, gate, {
    reason,
    ...(details.factorId !== undefined ? { factorId: details.factorId } : {}),
    ...(details.context !== undefined ? { context: details.context } : {}),
  });
  return verdict.locked
    ? { ok: false, reason: "locked", retryAfterMs: verdict.retryAfterMs }
    : { ok: false, reason, attemptsLeft: verdict.attemptsLeft };
}

const isString = (v: unknown): v is string => typeof v === "string";

/** The successful check, or the session-less verdict: `verify` without issuing a session. */
export type ProofResult =
  | { ok: true; userId: string; acr: string; amr: string[]; factorId?: string }
  | VerifyFailure;

/**
 * Verifies one credential through the limiter: resolve the factor(s), reserve an attempt, check,
 * settle, then apply the risk signals. Shared by `verify` (which then issues a session) and the
 * one-shot `X-MFA-Token` path (which does not).
 */
export async function prove(ctx: KitContext, input: VerifyInput): Promise<ProofResult> {
  const { userId, code, webauthn, backupCode, context } = input ?? ({} as VerifyInput);
  if (!isString(userId) || userId === "") return { ok: false, reason: "invalid_request" };
  const given = [code, webauthn, backupCode].filter((v) => v !== undefined && v !== null);
  if (given.length !== 1) return { ok: false, reason: "invalid_request" };
  const challengeId = isString(input.challengeId) ? input.challengeId : undefined;
  const factorId = isString(input.factorId)
    ? input.factorId
    : code !== undefined && challengeId?.includes(".")
      ? challengeId.slice(0, challengeId.indexOf("."))
      : undefined;

  // Resolve what to check against before reserving an attempt: naming no usable factor is not a guess.
  let candidates: [string, FactorRecord][] = [];
  if (backupCode !== undefined) {
    if (!(await ctx.store.getBackupCodes(userId))) return { ok: false, reason: "factor_not_found" };
  } else if (webauthn !== undefined) {
    const all = await ctx.store.listFactors(userId);
    if (!Object.values(all).some((r) => isActive(r) && r.type === "webauthn")) {
      return { ok: false, reason: "factor_not_found" };
    }
  } else if (factorId !== undefined) {
    const record = await ctx.store.getFactor(userId, factorId);
    if (!record || !isActive(record) || !CODE_TYPES.includes(record.type ?? "")) {
      return { ok: false, reason: "factor_not_found" };
    }
    candidates = [[factorId, record]];
  } else {
    const all = await ctx.store.listFactors(userId);
    candidates = Object.entries(all).filter(
      ([, r]) => isActive(r) && CODE_TYPES.includes(r.type ?? ""),
    );
    if (candidates.length === 0) return { ok: false, reason: "factor_not_found" };
  }

  const gate = await openGate(ctx, userId);
  if (!gate.ok) return { ok: false, reason: gate.reason, retryAfterMs: gate.retryAfterMs };

  let outcome: CheckOutcome;
  if (backupCode !== undefined) outcome = await checkBackupCode(ctx, userId, backupCode);
  else if (webauthn !== undefined) outcome = await checkAssertion(ctx, userId, webauthn);
  else {
    const reasons: CheckFailure[] = [];
    outcome = { ok: false, reason: "invalid_code" };
    for (const [id, record] of candidates) {
      const one = await checkCode(
        ctx,
        userId,
        id,
        record,
        code,
        challengeId,
        candidates.length === 1,
      );
      if (one.ok) {
        outcome = one;
        break;
      }
      reasons.push(one.reason);
    }
    if (!outcome.ok) outcome = { ok: false, reason: worstFailure(reasons) };
  }

  if (!outcome.ok) {
    return failed(ctx, userId, gate, outcome.reason, {
      ...(factorId !== undefined ? { factorId } : {}),
      ...(context !== undefined ? { context } : {}),
    });
  }
  await recordSuccess(ctx, userId, gate);

  if (outcome.method === "backup_code") {
    emit(ctx, {
      type: "backup_code.used",
      userId,
      notify: "admin",
      remaining: outcome.backupCodesRemaining ?? 0,
      context: eventContext(context),
    });
  }
  const verdict = await assessLocation(ctx, userId, outcome, context);
  if (verdict.hold) {
    return {
      ok: false,
      reason: "additional_factor_required",
      factors: verdict.factors,
      backupCodes: verdict.backupCodes,
    };
  }
  await rememberSuccess(ctx, userId, context);
  emit(ctx, {
    type: "mfa.verified",
    userId,
    method: outcome.method,
    acr: verdict.acr,
    amr: verdict.amr,
    context: eventContext(context),
    ...(outcome.factorId !== undefined ? { factorId: outcome.factorId } : {}),
  });
  return {
    ok: true,
    userId,
    acr: verdict.acr,
    amr: verdict.amr,
    ...(outcome.factorId !== undefined ? { factorId: outcome.factorId } : {}),
  };
}

/** `verify`: {@link prove}, then a session. */
export async function verify(ctx: KitContext, input: VerifyInput): Promise<VerifyResult> {
  const proof = await prove(ctx, input);
  if (!proof.ok) return proof;
  const session = await issueSession(ctx, proof.userId, {
    acr: proof.acr,
    amr: proof.amr,
    authTime: ctx.now(),
    ...(proof.factorId !== undefined ? { factorId: proof.factorId } : {}),
  });
  return { ok: true, session };
}
