import type {
  ActivateFactorResponse,
  ContactChannel,
  FactorType,
  ListFactorsResponse,
  StartChallengeResponse,
  WebAuthnJSON,
} from "@mfa-kit/protocol";
import { MfaOptionError } from "@mfa-kit/protocol/vocabulary";
import { BoundedMap } from "./boundedMap";
import { type ClockCheck, resolveClockCheck, startClockCheck } from "./clock/clockCheck";
import { emit, type KitContext } from "./context";
import { defaultCrypto } from "./crypto/default";
import { toBase64Url } from "./crypto/encoding";
import { createEventBus } from "./events/eventBus";
import { issueBackupCodes } from "./factors/backupCodes";
import { enrollContact, normalizeContact, sendCode } from "./factors/contactCodes";
import { forgetFactors, loadFactors, MAX_USERS } from "./factors/factorCache";
import {
  type FactorInfo,
  factorType,
  isActive,
  isLive,
  isLivePending,
  toSummary,
} from "./factors/factorRecord";
import { CACHE_SIZE as SECRET_CACHE_SIZE } from "./factors/secret";
import { enrollOtpApp, type ImportedTotp, importOtpApp, type TotpEnrollment } from "./factors/totp";
import {
  authenticationOptions,
  expectChallenge,
  type ImportedWebauthnCredential,
  importCredential,
  registrationOptions,
  verifyRegistration,
} from "./factors/webauthn";
import { MAX_LOCKS, runAttempt, serialize } from "./limits/attemptQueue";
import { type MfaServerOptions, resolveOptions } from "./options";
import { createKeyRing, type EncryptionKeys } from "./secrets/keyRing";
import {
  checkSession,
  checkSessionNow,
  issueSession,
  refreshSession,
  revokeSession,
  SESSION_CHECK_NOW,
  type SessionCheck,
  type SessionRefresh,
  type SessionRequirements,
  tokenHash,
} from "./sessions/sessions";
import { memoryStore } from "./stores/memory";
import type { FactorRecord, SessionScope } from "./stores/types";
import {
  codeCheck,
  isCodeFactor,
  type ProblemReason,
  type ProofResult,
  prove,
  type VerifyFailure,
  type VerifyInput,
  type VerifyResult,
  verify,
  withHint,
} from "./verify";
import type { WebhookDispatcher } from "./webhooks/dispatcher";
import { createWebhooks, withWebhooks } from "./webhooks/webhooks";

/** The answer of `activateFactor` (and of a WebAuthn registration). */
export type ActivateResult = ({ ok: true } & ActivateFactorResponse) | VerifyFailure;

/** The answer of `enrollContact`: the factor, and the first code's challenge or why none was sent. */
export type EnrollContactResult =
  | { ok: true; factorId: string; challengeId: string; expiresAt: number }
  | {
      ok: false;
      reason: ProblemReason<"invalid_request" | "rate_limited" | "delivery_failed">;
      factorId?: string;
      retryAfterMs?: number;
    };

/** The answer of `startChallenge`. */
export type StartChallengeResult =
  | ({ ok: true } & StartChallengeResponse)
  | {
      ok: false;
      /** `mfa_required`: a pending factor of a user with an active one needs a fresh MFA session. */
      reason: ProblemReason<
        "factor_not_found" | "locked" | "rate_limited" | "delivery_failed" | "mfa_required"
      >;
      retryAfterMs?: number;
    };

/**
 * The caller's MFA session, for the steps that need a fresh one once the user has an active
 * factor (activating or challenging a pending factor, registering a security key).
 */
export interface StepUpProof {
  /** The caller's `X-Session-Token`. */
  sessionToken?: string;
  /** How fresh its verification must be. Defaults to `300_000` (5 minutes). */
  maxAgeMs?: number;
}

/** The server kit: every operation on factors, challenges, verifications and sessions. */
export interface MfaServer {
  /** Creates a pending TOTP factor: show `otpauthUri` as a QR code, then `activateFactor`. */
  enrollTotp(userId: string, options?: { label?: string }): Promise<TotpEnrollment>;
  /** Creates a pending HOTP (counter-based) factor. */
  enrollHotp(
    userId: string,
    options?: { label?: string; counter?: number },
  ): Promise<TotpEnrollment>;
  /** Creates a pending SMS / e-mail factor and sends its activation code. */
  enrollContact(
    userId: string,
    contact: { channel: ContactChannel; to: string },
  ): Promise<EnrollContactResult>;
  /**
   * Activates a pending factor with a first code; the user's first factor comes with backup codes.
   * A right code opens an MFA session (`session`). Once the user has another active factor, this
   * needs a fresh MFA session of theirs (`proof`), decided atomically in the store, else
   * `mfa_required`; an expired pending factor is `factor_not_found`.
   */
  activateFactor(
    userId: string,
    factorId: string,
    code: string,
    proof?: StepUpProof,
  ): Promise<ActivateResult>;
  /**
   * Starts a verification: sends an SMS / e-mail code, or returns WebAuthn options to sign. A
   * pending SMS / e-mail factor (a new activation code) needs `proof` once the user has an
   * active factor, else `mfa_required`.
   */
  startChallenge(
    userId: string,
    factorId: string,
    proof?: StepUpProof,
  ): Promise<StartChallengeResult>;
  /** Verifies a code, a WebAuthn assertion or a backup code; a success issues a session. */
  verify(input: VerifyInput): Promise<VerifyResult>;
  /** Verifies like `verify` without issuing a session (one-shot `X-MFA-Token` calls). */
  verifyOnce(input: VerifyInput): Promise<ProofResult>;
  /** Checks a session token, optionally demanding freshness (`maxAgeMs`) or strength (`acrValues`). */
  checkSession(token: string, requirements?: SessionRequirements): Promise<SessionCheck>;
  /** Extends a live session; same token and `authTime`. */
  refreshSession(token: string): Promise<SessionRefresh>;
  /** Revokes one session (sign-out); `true` when there was one. */
  revokeSession(token: string): Promise<boolean>;
  /**
   * Revokes every MFA session of a user but `except` (a session token, usually the caller's own),
   * and returns how many were live. Call it on a password change or reset, with revoking the
   * app's own tokens.
   */
  revokeSessions(userId: string, options?: { except?: string }): Promise<number>;
  /**
   * Lifts a user's lock and the suspension of their code factors (an administrator's action,
   * after checking who asks); emits `limit.unlocked`. `true` when the user was locked or suspended.
   */
  unlock(userId: string): Promise<boolean>;
  /** The user's factors (secrets never included) and how many backup codes are left. */
  listFactors(userId: string): Promise<ListFactorsResponse & { factors: FactorInfo[] }>;
  /**
   * Removes a factor and revokes every session opened with it; removing the last one also deletes
   * the backup codes and revokes every session of the user but `except` (the caller's own session
   * token, kept when another factor opened it; the handler passes it).
   */
  removeFactor(
    userId: string,
    factorId: string,
    options?: { except?: string },
  ): Promise<{ ok: true } | { ok: false; reason: ProblemReason<"factor_not_found"> }>;
  /** Renames an active factor (`label`: 1–64 characters once trimmed, no control characters). */
  renameFactor(
    userId: string,
    factorId: string,
    label: string,
  ): Promise<
    | { ok: true; factor: FactorInfo }
    | { ok: false; reason: ProblemReason<"factor_not_found"> | "invalid_label" }
  >;
  /**
   * A new set of backup codes (shown once); the old set stops working, and so does every session a
   * backup code opened (the caller's own too when a backup code opened it; a session another
   * factor opened stays).
   */
  regenerateBackupCodes(userId: string): Promise<{ backupCodes: string[] }>;
  /** WebAuthn registration options for `startRegistration()`. */
  webauthnRegistrationOptions(
    userId: string,
    user?: { userName?: string; userDisplayName?: string },
  ): Promise<WebAuthnJSON>;
  /**
   * Verifies a registration response and adds the credential as an active factor. Once the user
   * has another active factor, this needs a fresh MFA session (`options`), else `mfa_required`.
   */
  verifyWebauthnRegistration(
    userId: string,
    response: WebAuthnJSON,
    options?: { label?: string } & StepUpProof,
  ): Promise<ActivateResult>;
  /**
   * Imports a TOTP (or, from an `otpauth://hotp/` URI, HOTP) factor from another provider, active
   * at once and sealed like any other: from its base32 `secret` (with the `totp` settings) or the
   * `otpauthUri` the provider showed. Emits `factor.imported`. An administrative operation: call it
   * only behind your own admin checks, never with what an end user sends. A `TypeError` names bad
   * input; nothing is stored then.
   */
  importTotp(userId: string, factor: ImportedTotp): Promise<FactorInfo>;
  /**
   * Imports a WebAuthn credential registered by another server (its id, COSE public key, counter,
   * transports), active at once. Emits `factor.imported`. An administrative operation: call it only
   * behind your own admin checks. A `TypeError` names bad input; nothing is stored then.
   */
  importWebauthnCredential(
    userId: string,
    credential: ImportedWebauthnCredential,
  ): Promise<FactorInfo>;
  /**
   * Verifies WebAuthn assertions against a challenge the app generated itself (its own
   * `generateAuthenticationOptions` call, a migration): `challenge` (base64url, at least 16 random
   * bytes) is accepted once, for `webauthn.challengeTtlMs`, by `verify` / `verifyOnce` with the
   * assertion, counted and replay-guarded like any verification.
   */
  expectWebauthnChallenge(userId: string, challenge: string): Promise<void>;
  /** Milliseconds until the user's lock ends; 0 when not locked. */
  lockedFor(userId: string): Promise<number>;
  /** Resolves once every emitted event was delivered (or its listener failed or timed out). */
  flushEvents(): Promise<void>;
  /** The kit's clock (the `now` option): epoch milliseconds. HTTP `Date` headers use it. */
  now(): number;
  /** Whether factors of `type` can be enrolled here (WebAuthn needs `webauthn`, SMS / e-mail `otp.send`). */
  supports(type: FactorType): boolean;
  /** The failure limiter's policy (for `RateLimit-Policy` fields). */
  readonly limits: { maxFailures: number; windowMs: number };
  /** The delivery of the `webhooks` option (`deliver()` now, `idle()`, `close()` to stop polling); `null` without endpoints. */
  readonly webhooks: WebhookDispatcher | null;
  /** The `clockCheck` option's readings (`offsetMs`, `clockSide`, `check()`, `close()` to stop); `null` without it. */
  readonly clockCheck: ClockCheck | null;
}

/** How fresh a session must be to stand as a step-up, unless the caller says. */
const DEFAULT_STEP_UP_MS = 300_000;

// Dev only: with the default memory store nothing outlives the process, so a random key is fine.
const ephemeralKeys = (ctx: Pick<KitContext, "crypto">): EncryptionKeys => ({
  current: "ephemeral",
  keys: { ephemeral: toBase64Url(ctx.crypto.randomBytes(32)) },
});

/**
 * Creates the server kit. Options are checked at once: a missing `issuer`, a malformed key ring or
 * an out-of-range number throws a `TypeError` naming it.
 *
 * @example
 * const mfa = createMfaServer({ issuer: "Acme", encryptionKeys: { current: "k1", keys: { k1 } } });
 * const { otpauthUri } = await mfa.enrollTotp(userId, { label: "alice@acme.com" });
 */
export function createMfaServer(options: MfaServerOptions): MfaServer {
  const resolved = resolveOptions(options);
  const clockOptions =
    options.clockCheck === undefined ? undefined : resolveClockCheck(options.clockCheck);
  const crypto = options.crypto ?? defaultCrypto;
  if (!options.encryptionKeys && options.store) {
    throw new MfaOptionError(
      "encryptionKeys",
      "createMfaServer: `encryptionKeys` is required with a custom store (sealed secrets must survive restarts).",
    );
  }
  const store = options.store ?? memoryStore();
  const now = options.now ?? Date.now;
  const webhooks = createWebhooks(options.webhooks, options.webhookDelivery, {
    store,
    crypto,
    now,
  });
  const instance = `${toBase64Url(crypto.randomBytes(9))}.`;
  let sequence = 0;
  const ctx: KitContext = {
    store,
    crypto,
    keys: createKeyRing(options.encryptionKeys ?? ephemeralKeys({ crypto }), crypto),
    options: resolved,
    now,
    events: withWebhooks(
      createEventBus(options.onEvent, resolved.eventTimeoutMs, options.onEventError),
      webhooks,
    ),
    randomId: (bytes = 16) => toBase64Url(crypto.randomBytes(bytes)),
    uniqueId: () => `${instance}${(++sequence).toString(36)}`,
    secrets: new BoundedMap(SECRET_CACHE_SIZE),
    factors: new BoundedMap(MAX_USERS),
    queues: new Map(),
    locks: new BoundedMap(MAX_LOCKS),
    tokenHashes: new BoundedMap(resolved.sessions.tokenHashCache),
    clockSuspected: false,
    clockOffsetMs: null,
  };

  /** The scope that spares the session of `opts.except` (a token), when one is given. */
  const keep = (opts?: { except?: string }): SessionScope =>
    typeof opts?.except === "string" && opts.except !== ""
      ? { except: tokenHash(ctx, opts.except) }
      : {};

  const activated = async (
    userId: string,
    factorId: string,
    record: Record<string, string>,
    opened?: { acr: string; amr: string[]; authTime: number },
  ): Promise<ActivateResult> => {
    emit(ctx, {
      type: "factor.enrolled",
      userId,
      factorId,
      factorType: factorType(record) ?? "totp",
    });
    const backupCodes = await issueBackupCodes(ctx, userId, true);
    const session = opened && (await issueSession(ctx, userId, { ...opened, factorId }));
    return {
      ok: true,
      factor: toSummary(ctx, factorId, record),
      ...(backupCodes ? { backupCodes } : {}),
      ...(session ? { session } : {}),
    };
  };

  /** Whether `proof` is a fresh MFA session of `userId`. */
  const steppedUp = async (userId: string, proof: StepUpProof | undefined): Promise<boolean> => {
    if (typeof proof?.sessionToken !== "string" || proof.sessionToken === "") return false;
    const maxAgeMs = proof.maxAgeMs ?? DEFAULT_STEP_UP_MS;
    const check = await checkSession(ctx, proof.sessionToken, { maxAgeMs });
    return check.ok && check.claims.userId === userId;
  };

  /** Whether the user has an active factor other than `factorId`. */
  const hasOtherActive = (factors: Record<string, FactorRecord>, factorId: string) =>
    Object.entries(factors).some(([id, r]) => id !== factorId && isActive(r));

  const imported = (userId: string, factorId: string, record: FactorRecord): FactorInfo => {
    emit(ctx, {
      type: "factor.imported",
      userId,
      factorId,
      factorType: factorType(record) ?? "totp",
    });
    return toSummary(ctx, factorId, record);
  };

  const server: MfaServer = {
    async enrollTotp(userId, opts = {}) {
      requireUser(userId);
      return enrollOtpApp(ctx, userId, {
        ...(opts.label !== undefined ? { label: opts.label } : {}),
      });
    },
    async enrollHotp(userId, opts = {}) {
      requireUser(userId);
      return enrollOtpApp(ctx, userId, { ...opts, type: "hotp" });
    },

    async enrollContact(userId, contact) {
      requireUser(userId);
      const channel = contact?.channel;
      const to =
        channel === "sms" || channel === "email" ? normalizeContact(channel, contact.to) : null;
      if (!to || (channel !== "sms" && channel !== "email")) {
        return { ok: false, reason: "invalid_request" };
      }
      // Each new contact factor gets a code at once: cap those per user, or new factors would
      // sidestep the per-factor send throttle (SMS pumping with only the primary login).
      const { otp } = resolved;
      const wait = await store.throttle(
        userId,
        "send:enroll",
        { intervalMs: 0, max: otp.maxSendsPerHour, windowMs: 3_600_000 },
        ctx.now(),
      );
      if (wait > 0) return { ok: false, reason: "rate_limited", retryAfterMs: wait };
      const { factorId, send } = await enrollContact(ctx, userId, channel, to);
      return send.ok
        ? { ok: true, factorId, challengeId: send.challengeId, expiresAt: send.expiresAt }
        : { ok: false, reason: send.reason, factorId, retryAfterMs: send.retryAfterMs };
    },

    async activateFactor(userId, factorId, code, proof) {
      requireUser(userId);
      if (typeof factorId !== "string") return { ok: false, reason: "factor_not_found" };
      const stepUp = await steppedUp(userId, proof);
      return serialize(ctx, userId, async () => {
        // Refused before the code is spent; the store decides again atomically below.
        if (!stepUp) {
          const { factors } = await loadFactors(ctx, userId);
          if (!isActive(factors[factorId]) && hasOtherActive(factors, factorId)) {
            return { ok: false, reason: "mfa_required" };
          }
        }
        // The first code, checked like any verification (counted, replay-guarded), no session.
        let record: FactorRecord | undefined;
        let planned = 0;
        const attempt = await runAttempt(
          ctx,
          userId,
          async (user, now) => {
            record = user.factors[factorId];
            planned = now;
            if (!isCodeFactor(record) || !(isActive(record) || isLivePending(record, now))) {
              return null;
            }
            return {
              checks: [await codeCheck(ctx, userId, factorId, record, code, undefined, true, now)],
            };
          },
          { factorId },
        );
        if (!attempt.ok) {
          // The first code of a new authenticator is where other settings show up.
          return withHint(ctx, userId, attempt, record && [factorId, record], code, planned);
        }
        if (record!.status === "active") {
          return { ok: true, factor: toSummary(ctx, factorId, record!) };
        }
        const outcome = await store.activateFactor(userId, factorId, { stepUp }, attempt.now);
        forgetFactors(ctx, userId);
        if (outcome === "step_up_required") return { ok: false, reason: "mfa_required" };
        if (outcome !== "activated") return { ok: false, reason: "factor_not_found" };
        const { pendingUntil: _, ...active } = record!;
        return activated(
          userId,
          factorId,
          { ...active, status: "active" },
          { acr: attempt.check.acr, amr: attempt.check.amr, authTime: attempt.now },
        );
      });
    },

    async startChallenge(userId, factorId, proof) {
      requireUser(userId);
      const user = typeof factorId === "string" ? await loadFactors(ctx, userId) : null;
      const record = user?.factors[factorId];
      const now = ctx.now();
      const contact = record?.type === "sms" || record?.type === "email";
      if (!record || !(isActive(record) || (contact && isLivePending(record, now)))) {
        return { ok: false, reason: "factor_not_found" };
      }
      if (
        !isActive(record) &&
        hasOtherActive(user!.factors, factorId) &&
        !(await steppedUp(userId, proof))
      ) {
        return { ok: false, reason: "mfa_required" };
      }
      const locked = await store.lockedFor(userId, now);
      if (locked > 0) return { ok: false, reason: "locked", retryAfterMs: locked };
      if (contact) {
        const sent = await sendCode(ctx, userId, factorId, record);
        return sent.ok
          ? { ok: true, challengeId: sent.challengeId, expiresAt: sent.expiresAt }
          : { ok: false, reason: sent.reason, retryAfterMs: sent.retryAfterMs };
      }
      if (record.type === "webauthn") {
        const { challenge, options: webauthnOptions } = await authenticationOptions(ctx, userId);
        return {
          ok: true,
          challengeId: `${factorId}.${challenge}`,
          expiresAt: now + resolved.webauthn!.challengeTtlMs,
          webauthnOptions,
        };
      }
      // An authenticator app needs nothing sent: the challenge only names the factor.
      const period = (Number(record.period) || resolved.totp.period) * 1000;
      return { ok: true, challengeId: `${factorId}.${ctx.randomId(12)}`, expiresAt: now + period };
    },

    verify: (input) => verify(ctx, input),
    verifyOnce: (input) => prove(ctx, input, false),
    checkSession: (token, requirements) => checkSession(ctx, token, requirements),
    refreshSession: (token) => refreshSession(ctx, token),
    revokeSession: (token) => revokeSession(ctx, token),
    async revokeSessions(userId, opts) {
      requireUser(userId);
      return store.revokeUserSessions(userId, ctx.now(), keep(opts));
    },
    async unlock(userId) {
      requireUser(userId);
      const wasLocked = await store.unlock(userId, ctx.now());
      ctx.locks.delete(userId);
      emit(ctx, { type: "limit.unlocked", userId, wasLocked });
      return wasLocked;
    },

    async listFactors(userId) {
      requireUser(userId);
      const { factors: all, backupCodes: backup } = await loadFactors(ctx, userId);
      const now = ctx.now();
      const factors = Object.entries(all)
        .filter(([, r]) => isLive(r, now))
        .map(([id, r]) => toSummary(ctx, id, r))
        .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
      return { factors, backupCodesRemaining: backup?.remaining ?? 0 };
    },

    async removeFactor(userId, factorId, opts) {
      requireUser(userId);
      const user = typeof factorId === "string" ? await loadFactors(ctx, userId) : null;
      const record = user?.factors[factorId];
      const deleted = record !== undefined && (await store.deleteFactor(userId, factorId));
      forgetFactors(ctx, userId);
      if (!record || !deleted) return { ok: false, reason: "factor_not_found" };
      // What the factor opened goes with it.
      await store.revokeUserSessions(userId, ctx.now(), { factorId });
      emit(ctx, {
        type: "factor.removed",
        userId,
        factorId,
        factorType: factorType(record) ?? "totp",
      });
      const left = (await loadFactors(ctx, userId)).factors;
      if (!Object.values(left).some((r) => isActive(r))) {
        // No factor left: the backup codes and every session go too.
        await store.setBackupCodes(userId, { salt: "", hashes: [] });
        forgetFactors(ctx, userId);
        await store.revokeUserSessions(userId, ctx.now(), keep(opts));
      }
      return { ok: true };
    },

    async renameFactor(userId, factorId, label) {
      requireUser(userId);
      const name = typeof label === "string" ? label.trim() : "";
      // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters
      if (!name || name.length > 64 || /[\u0000-\u001f\u007f]/.test(name)) {
        return { ok: false, reason: "invalid_label" };
      }
      const record =
        typeof factorId === "string" ? (await loadFactors(ctx, userId)).factors[factorId] : null;
      if (!record || !isActive(record) || factorType(record) === null) {
        return { ok: false, reason: "factor_not_found" };
      }
      const patched = await store.patchFactor(userId, factorId, { label: name });
      forgetFactors(ctx, userId);
      if (!patched) return { ok: false, reason: "factor_not_found" };
      return { ok: true, factor: toSummary(ctx, factorId, { ...record, label: name }) };
    },

    async regenerateBackupCodes(userId) {
      requireUser(userId);
      const backupCodes = (await issueBackupCodes(ctx, userId, false))!;
      // A session a code of the old set opened is as void as the set.
      await store.revokeUserSessions(userId, ctx.now(), { backupCode: true });
      return { backupCodes };
    },

    async webauthnRegistrationOptions(userId, user) {
      requireUser(userId);
      return registrationOptions(ctx, userId, user);
    },
    async verifyWebauthnRegistration(userId, response, opts = {}) {
      requireUser(userId);
      const stepUp = await steppedUp(userId, opts);
      const result = await verifyRegistration(ctx, userId, response, opts.label, stepUp);
      if (!result.ok) return { ok: false, reason: result.reason };
      return activated(userId, result.factorId, result.record);
    },

    async importTotp(userId, factor) {
      requireUser(userId);
      const { factorId, record } = await importOtpApp(ctx, userId, factor);
      return imported(userId, factorId, record);
    },
    async importWebauthnCredential(userId, credential) {
      requireUser(userId);
      const { factorId, record } = await importCredential(ctx, userId, credential);
      return imported(userId, factorId, record);
    },

    async expectWebauthnChallenge(userId, challenge) {
      requireUser(userId);
      await expectChallenge(ctx, userId, challenge);
    },

    lockedFor: (userId) => store.lockedFor(userId, ctx.now()),
    flushEvents: () => ctx.events.flush(),
    now: () => ctx.now(),
    supports: (type) =>
      type === "webauthn"
        ? resolved.webauthn !== undefined
        : type === "sms" || type === "email"
          ? resolved.otp.send !== undefined
          : type === "totp" || type === "hotp",
    limits: { maxFailures: resolved.limits.maxFailures, windowMs: resolved.limits.windowMs },
    webhooks,
    clockCheck: clockOptions ? startClockCheck(ctx, clockOptions) : null,
  };
  // The guards' promise-free session check (see `sessionChecker`): not enumerable, not public.
  Object.defineProperty(server, SESSION_CHECK_NOW, {
    value: (token: string, requirements: SessionRequirements) =>
      checkSessionNow(ctx, token, requirements),
  });
  return server;
}

function requireUser(userId: unknown): asserts userId is string {
  if (typeof userId !== "string" || userId === "") {
    throw new TypeError("userId must be a non-empty string.");
  }
}
