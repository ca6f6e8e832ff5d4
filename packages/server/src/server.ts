import type {
  ActivateFactorResponse,
  ContactChannel,
  FactorType,
  ListFactorsResponse,
  StartChallengeResponse,
  WebAuthnJSON,
} from "@mfa-kit/protocol";
import { BoundedMap } from "./boundedMap";
import { emit, type KitContext } from "./context";
import { defaultCrypto } from "./crypto/default";
import { toBase64Url } from "./crypto/encoding";
import { createEventBus } from "./events/eventBus";
import { issueBackupCodes } from "./factors/backupCodes";
import { enrollContact, normalizeContact, sendCode } from "./factors/contactCodes";
import { forgetFactors, loadFactors, MAX_USERS } from "./factors/factorCache";
import { type FactorInfo, factorType, isActive, toSummary } from "./factors/factorRecord";
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
  type MfaSessionClaims,
  refreshSession,
  revokeSession,
  SESSION_CHECK_NOW,
  type SessionCheck,
  type SessionRefresh,
  type SessionRequirements,
} from "./sessions/sessions";
import { memoryStore } from "./stores/memory";
import type { FactorRecord } from "./stores/types";
import {
  codeCheck,
  isCodeFactor,
  type ProofResult,
  prove,
  type VerifyFailure,
  type VerifyInput,
  type VerifyResult,
  verify,
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
      reason: "invalid_request" | "rate_limited" | "delivery_failed";
      factorId?: string;
      retryAfterMs?: number;
    };

/** The answer of `startChallenge`. */
export type StartChallengeResult =
  | ({ ok: true } & StartChallengeResponse)
  | {
      ok: false;
      reason: "factor_not_found" | "locked" | "rate_limited" | "delivery_failed";
      retryAfterMs?: number;
    };

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
  /** Activates a pending factor with a first code; the user's first factor comes with backup codes. */
  activateFactor(userId: string, factorId: string, code: string): Promise<ActivateResult>;
  /** Starts a verification: sends an SMS / e-mail code, or returns WebAuthn options to sign. */
  startChallenge(userId: string, factorId: string): Promise<StartChallengeResult>;
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
  /** Revokes every session of a user; returns how many. */
  revokeSessions(userId: string): Promise<number>;
  /** The user's factors (secrets never included) and how many backup codes are left. */
  listFactors(userId: string): Promise<ListFactorsResponse & { factors: FactorInfo[] }>;
  /** Removes a factor; removing the last one also deletes the backup codes. */
  removeFactor(
    userId: string,
    factorId: string,
  ): Promise<{ ok: true } | { ok: false; reason: "factor_not_found" }>;
  /** Renames an active factor (`label`: 1–64 characters once trimmed, no control characters). */
  renameFactor(
    userId: string,
    factorId: string,
    label: string,
  ): Promise<
    { ok: true; factor: FactorInfo } | { ok: false; reason: "factor_not_found" | "invalid_label" }
  >;
  /** A new set of backup codes (shown once); the old set stops working. */
  regenerateBackupCodes(userId: string): Promise<{ backupCodes: string[] }>;
  /** WebAuthn registration options for `startRegistration()`. */
  webauthnRegistrationOptions(
    userId: string,
    user?: { userName?: string; userDisplayName?: string },
  ): Promise<WebAuthnJSON>;
  /** Verifies a registration response and adds the credential as an active factor. */
  verifyWebauthnRegistration(
    userId: string,
    response: WebAuthnJSON,
    options?: { label?: string },
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
}

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
  const crypto = options.crypto ?? defaultCrypto;
  if (!options.encryptionKeys && options.store) {
    throw new TypeError(
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
  };

  const activated = async (
    userId: string,
    factorId: string,
    record: Record<string, string>,
  ): Promise<ActivateResult> => {
    emit(ctx, {
      type: "factor.enrolled",
      userId,
      factorId,
      factorType: factorType(record) ?? "totp",
    });
    const backupCodes = await issueBackupCodes(ctx, userId, true);
    return {
      ok: true,
      factor: toSummary(ctx, factorId, record),
      ...(backupCodes ? { backupCodes } : {}),
    };
  };

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
      const { factorId, send } = await enrollContact(ctx, userId, channel, to);
      return send.ok
        ? { ok: true, factorId, challengeId: send.challengeId, expiresAt: send.expiresAt }
        : { ok: false, reason: send.reason, factorId, retryAfterMs: send.retryAfterMs };
    },

    async activateFactor(userId, factorId, code) {
      requireUser(userId);
      if (typeof factorId !== "string") return { ok: false, reason: "factor_not_found" };
      return serialize(ctx, userId, async () => {
        // The first code, checked like any verification (counted, replay-guarded), no session.
        let record: FactorRecord | undefined;
        const attempt = await runAttempt(
          ctx,
          userId,
          async (user, now) => {
            record = user.factors[factorId];
            if (!isCodeFactor(record)) return null;
            return {
              checks: [await codeCheck(ctx, userId, factorId, record, code, undefined, true, now)],
            };
          },
          { factorId },
        );
        if (!attempt.ok) return attempt;
        if (record!.status === "active") {
          return { ok: true, factor: toSummary(ctx, factorId, record!) };
        }
        const patched = await store.patchFactor(userId, factorId, { status: "active" });
        forgetFactors(ctx, userId);
        if (!patched) return { ok: false, reason: "factor_not_found" };
        return activated(userId, factorId, { ...record!, status: "active" });
      });
    },

    async startChallenge(userId, factorId) {
      requireUser(userId);
      const record =
        typeof factorId === "string" ? (await loadFactors(ctx, userId)).factors[factorId] : null;
      const contact = record?.type === "sms" || record?.type === "email";
      if (!record || !(isActive(record) || (contact && record.status === "pending"))) {
        return { ok: false, reason: "factor_not_found" };
      }
      const now = ctx.now();
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
    async revokeSessions(userId) {
      requireUser(userId);
      return store.revokeUserSessions(userId, ctx.now());
    },

    async listFactors(userId) {
      requireUser(userId);
      const { factors: all, backupCodes: backup } = await loadFactors(ctx, userId);
      const factors = Object.entries(all)
        .filter(([, r]) => factorType(r) !== null)
        .map(([id, r]) => toSummary(ctx, id, r))
        .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
      return { factors, backupCodesRemaining: backup?.remaining ?? 0 };
    },

    async removeFactor(userId, factorId) {
      requireUser(userId);
      const user = typeof factorId === "string" ? await loadFactors(ctx, userId) : null;
      const record = user?.factors[factorId];
      const deleted = record !== undefined && (await store.deleteFactor(userId, factorId));
      forgetFactors(ctx, userId);
      if (!record || !deleted) return { ok: false, reason: "factor_not_found" };
      emit(ctx, {
        type: "factor.removed",
        userId,
        factorId,
        factorType: factorType(record) ?? "totp",
      });
      if (Object.keys((await loadFactors(ctx, userId)).factors).length === 0) {
        await store.setBackupCodes(userId, { salt: "", hashes: [] });
        forgetFactors(ctx, userId);
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
      return { backupCodes: (await issueBackupCodes(ctx, userId, false))! };
    },

    async webauthnRegistrationOptions(userId, user) {
      requireUser(userId);
      return registrationOptions(ctx, userId, user);
    },
    async verifyWebauthnRegistration(userId, response, opts = {}) {
      requireUser(userId);
      const result = await verifyRegistration(ctx, userId, response, opts.label);
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

export type { MfaSessionClaims };
