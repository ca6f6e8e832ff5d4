import type {
  MfaProblemName,
  MfaSessionResponse,
  VerifyHint,
  WebAuthnJSON,
} from "@mfa-kit/protocol";
import { CODE_FACTOR_TYPES } from "@mfa-kit/protocol/vocabulary";
import { emit, eventContext, type KitContext } from "./context";
import type { MethodType, VerifyContext } from "./events/types";
import { backupCodeCheck } from "./factors/backupCodes";
import { contactCheck } from "./factors/contactCodes";
import { type FactorInfo, isActive } from "./factors/factorRecord";
import { hotpCheck } from "./factors/hotp";
import type { CheckFailure } from "./factors/outcome";
import { totpCheck } from "./factors/totp";
import { diagnoseTotp } from "./factors/totpDiagnosis";
import { assertionCheck, credentials, unknownCredentialCheck } from "./factors/webauthn";
import {
  type AttemptPlan,
  type AttemptRefusal,
  runAttempt,
  serialize,
} from "./limits/attemptQueue";
import { assessLocation, rememberSuccess, type SuccessMarkers, successMarkers } from "./risk";
import { issueSession, newToken, sessionExpiry, tokenHash } from "./sessions/sessions";
import type { CredentialCheck, FactorRecord, SuccessSteps, UserFactors } from "./stores/types";

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

/**
 * A failure reason named after a problem of the reference API (`MfaProblemTable` of
 * `@mfa-kit/protocol/vocabulary`): the HTTP answer is that problem. A name the table lacks does
 * not build.
 */
export type ProblemReason<N extends MfaProblemName> = N;

/**
 * Why a verification did not issue a session: a problem's name, or one of the server's own reasons,
 * each answered as a problem of the table (`resync_required` as `invalid_code` with `resync`,
 * `suspended` as a 403 `locked`, `factors_changed` as `service_unavailable`,
 * `additional_factor_required` as `mfa_required` with `additionalFactor`).
 */
export type VerifyFailureReason =
  | CheckFailure
  | ProblemReason<
      "invalid_request" | "factor_not_found" | "locked" | "rate_limited" | "mfa_required"
    >
  | "suspended"
  /** The user's factors changed under every try (an enrollment or removal racing it): retry. */
  | "factors_changed"
  | "additional_factor_required";

/** A verification that did not issue a session. */
export interface VerifyFailure {
  ok: false;
  reason: VerifyFailureReason;
  /** Failures left before a lock, after a counted failure. */
  attemptsLeft?: number;
  /** For `locked`, `rate_limited` and `factors_changed`: how long to wait. */
  retryAfterMs?: number;
  /** For `additional_factor_required`: the other factors the user can verify with. */
  factors?: FactorInfo[];
  /** For `additional_factor_required`: whether a backup code is accepted as the second factor. */
  backupCodes?: boolean;
  /**
   * For a counted `invalid_code` of a TOTP factor: why the code was probably wrong, for the user
   * (see `totp.diagnoseSteps`). The code was refused and counted all the same.
   */
  hint?: VerifyHint;
  /** With `hint: "authenticator_clock_behind"`: how many seconds the authenticator's clock is behind. */
  behindS?: number;
}

/** The answer of `verify`. */
export type VerifyResult = { ok: true; session: MfaSessionResponse } | VerifyFailure;

const CODE_TYPES: readonly string[] = CODE_FACTOR_TYPES;

/** Whether a factor record is one `verify` checks codes against. */
export const isCodeFactor = (record: FactorRecord | undefined): record is FactorRecord =>
  record !== undefined && CODE_TYPES.includes(record.type ?? "");

/** The check of a code against one factor record, by type (computed here, decided by the store). */
export function codeCheck(
  ctx: KitContext,
  userId: string,
  factorId: string,
  record: FactorRecord,
  code: unknown,
  challengeId: string | undefined,
  strict: boolean,
  now: number,
): Promise<CredentialCheck> | CredentialCheck {
  switch (record.type) {
    case "totp":
      return totpCheck(ctx, userId, factorId, record, code, now);
    case "hotp":
      return hotpCheck(ctx, userId, factorId, record, code, now);
    case "sms":
    case "email":
      return contactCheck(ctx, userId, factorId, record, code, challengeId, strict, now);
    default:
      return {
        factorId,
        acr: "mfa",
        amr: [],
        kind: "none",
        failure: "invalid_code",
        guessable: true,
      };
  }
}

/**
 * A refusal with the hint of its TOTP factor, when it is a counted `invalid_code` (never a lock, a
 * replay or an expired code): the diagnosis runs once, after the store decided, and at most
 * `diagnosisCost` HMACs (see `diagnoseTotp`). `factor` is the TOTP factor the code was meant for.
 */
export async function withHint<R extends AttemptRefusal>(
  ctx: KitContext,
  userId: string,
  refusal: R,
  factor: [string, FactorRecord] | undefined,
  code: unknown,
  now: number,
): Promise<R & { hint?: VerifyHint; behindS?: number }> {
  if (refusal.reason !== "invalid_code" || factor?.[1].type !== "totp") return refusal;
  const found = await diagnoseTotp(ctx, userId, factor[0], factor[1], code, now);
  return found ? { ...refusal, ...found } : refusal;
}

/** The method a passing check verified, for events. */
const methodOf = (check: CredentialCheck, record: FactorRecord | undefined): MethodType => {
  if (check.kind === "backupCode") return "backup_code";
  return (record?.type as MethodType | undefined) ?? "totp";
};

const isString = (v: unknown): v is string => typeof v === "string";

/** The successful check, or the session-less verdict: `verify` without issuing a session. */
export type ProofResult =
  | { ok: true; userId: string; acr: string; amr: string[]; factorId?: string }
  | VerifyFailure;

/**
 * Verifies one credential: the kit computes the checks (HMACs, hashes, signatures) from a snapshot
 * of the user's factors, and the store decides the lock, the replay guard, the consumption, the
 * failure count, the risk markers and — for `verify` — the new session in ONE atomic
 * `verifyAttempt` (one Redis round trip). Verifications of one user take turns on an instance.
 * Shared by `verify` (`withSession`) and the one-shot `X-MFA-Token` path (without).
 */
export async function prove(
  ctx: KitContext,
  input: VerifyInput,
  withSession = false,
): Promise<ProofResult & { session?: MfaSessionResponse }> {
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

  /**
   * The checks from one snapshot of the user's factors; `null` when it names no usable factor
   * (not a guess), or — in a cached snapshot — no credential of the assertion's id.
   */
  const plan = async (
    user: UserFactors,
    now: number,
    cached: boolean,
  ): Promise<AttemptPlan | null> => {
    if (backupCode !== undefined) {
      if (!user.backupCodes) return null;
      return { checks: [backupCodeCheck(ctx, user.backupCodes.salt, backupCode)] };
    }
    if (webauthn !== undefined) {
      if (credentials(user.factors).length === 0) return null;
      const check = await assertionCheck(ctx, user.factors, webauthn, now);
      if (!check && cached) return null;
      return { checks: [check ?? unknownCredentialCheck(webauthn)] };
    }
    const named = factorId === undefined ? undefined : user.factors[factorId];
    const candidates: [string, FactorRecord][] =
      factorId === undefined
        ? // The most recently used first: when the failures left before the lock cannot cover
          // every factor, the store checks the factor the user most likely answers with.
          Object.entries(user.factors)
            .filter(([, r]) => isActive(r) && isCodeFactor(r))
            .sort(([, a], [, b]) => Number(b.lastUsedAt ?? 0) - Number(a.lastUsedAt ?? 0))
        : named && isActive(named) && isCodeFactor(named)
          ? [[factorId, named]]
          : [];
    if (candidates.length === 0) return null;
    totpFactor = candidates.find(([, r]) => r.type === "totp");
    planned = now;
    const strict = candidates.length === 1;
    const checks: CredentialCheck[] = [];
    for (const [id, record] of candidates) {
      const check = codeCheck(ctx, userId, id, record, code, challengeId, strict, now);
      checks.push(check instanceof Promise ? await check : check);
    }
    return { checks };
  };

  /** The TOTP factor a code was checked against first (the one a hint is about), and when. */
  let totpFactor: [string, FactorRecord] | undefined;
  let planned = 0;
  let token: string | undefined;
  let expiresAt = 0;
  let markers: SuccessMarkers | undefined;
  const success = (now: number): SuccessSteps => {
    markers = successMarkers(ctx, userId, context);
    const steps: SuccessSteps = { swap: markers.swap };
    if (markers.hold) steps.hold = markers.hold;
    if (withSession) {
      token = newToken(ctx, userId);
      expiresAt = sessionExpiry(ctx, now, now);
      steps.session = { tokenHash: tokenHash(ctx, token), expiresAt };
    }
    return steps;
  };

  return serialize(ctx, userId, async () => {
    let records: Record<string, FactorRecord> = {};
    const attempt = await runAttempt(
      ctx,
      userId,
      (user, now, cached) => {
        records = user.factors;
        return plan(user, now, cached);
      },
      {
        success,
        ...(factorId !== undefined ? { factorId } : {}),
        ...(context !== undefined ? { context } : {}),
      },
    );
    if (!attempt.ok) return withHint(ctx, userId, attempt, totpFactor, code, planned);
    const { result, check, now } = attempt;
    const method = methodOf(check, check.factorId ? records[check.factorId] : undefined);
    const proof = {
      method,
      acr: check.acr,
      amr: check.amr,
      ...(check.factorId !== undefined ? { factorId: check.factorId } : {}),
    };
    if (method === "backup_code" && ctx.events.enabled) {
      emit(ctx, {
        type: "backup_code.used",
        userId,
        notify: "admin",
        remaining: result.backupCodesRemaining ?? 0,
        context: eventContext(context),
      });
    }

    let acr = check.acr;
    let amr = check.amr;
    let session: MfaSessionResponse | undefined;
    if (result.held !== undefined) {
      // The country differs from the last success's: the rare path, one store call per step.
      const verdict = await assessLocation(ctx, userId, proof, context, result.held);
      if (verdict.hold) {
        return {
          ok: false,
          reason: "additional_factor_required",
          factors: verdict.factors,
          backupCodes: verdict.backupCodes,
        };
      }
      ({ acr, amr } = verdict);
      await rememberSuccess(ctx, userId, context);
      if (withSession) {
        session = await issueSession(ctx, userId, {
          acr,
          amr,
          authTime: now,
          ...(check.factorId !== undefined ? { factorId: check.factorId } : {}),
        });
      }
    } else {
      markers?.settle(result.previous);
      if (withSession && token !== undefined) {
        session = { token, expiresAt, acr, amr, authTime: now };
      }
    }
    if (ctx.events.enabled) {
      emit(ctx, {
        type: "mfa.verified",
        userId,
        method,
        acr,
        amr,
        context: eventContext(context),
        ...(check.factorId !== undefined ? { factorId: check.factorId } : {}),
      });
    }
    return {
      ok: true,
      userId,
      acr,
      amr,
      ...(check.factorId !== undefined ? { factorId: check.factorId } : {}),
      ...(session ? { session } : {}),
    };
  });
}

/** `verify`: {@link prove}, issuing the session in the same store call. */
export async function verify(ctx: KitContext, input: VerifyInput): Promise<VerifyResult> {
  const proof = await prove(ctx, input, true);
  if (!proof.ok) return proof;
  return { ok: true, session: proof.session! };
}
