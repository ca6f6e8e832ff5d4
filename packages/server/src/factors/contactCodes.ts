import type { ContactChannel } from "@mfa-kit/protocol";
import type { KitContext } from "../context";
import { toHex, utf8 } from "../crypto/encoding";
import { openText } from "../secrets/keyRing";
import type { CredentialCheck, FactorRecord } from "../stores/types";
import { forgetFactors } from "./factorCache";
import { createPending, newFactorId, sealContext } from "./factorRecord";
import { normalizeCode } from "./hotp";

const E164 = /^\+[1-9][0-9]{6,14}$/;
const EMAIL =
  /^[^\s@"<>()[\]\\,;:]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/**
 * Checks and normalises a contact address: an E.164 phone number (`+15551234567`; spaces, dots,
 * hyphens and parentheses are removed) for SMS, an e-mail address (at most 254 characters) for
 * e-mail. Returns `null` for anything else.
 */
export function normalizeContact(channel: ContactChannel, to: unknown): string | null {
  if (typeof to !== "string" || to.length > 254) return null;
  if (channel === "sms") {
    const phone = to.replace(/[\s.()-]/g, "");
    return E164.test(phone) ? phone : null;
  }
  if (channel === "email") {
    const email = to.trim();
    return EMAIL.test(email) ? email : null;
  }
  return null;
}

/** A masked contact for display: `+1 ••• ••• 4567`, `j•••@example.com`. */
export function maskContact(channel: ContactChannel, to: string): string {
  if (channel === "sms") return `${to.slice(0, 2)} ••• ••• ${to.slice(-4)}`;
  const at = to.lastIndexOf("@");
  return `${to.slice(0, 1)}•••${to.slice(at)}`;
}

/** A uniformly random string of `digits` decimal digits (rejection sampling, no modulo bias). */
function randomDigits(ctx: KitContext, digits: number): string {
  let out = "";
  while (out.length < digits) {
    for (const byte of ctx.crypto.randomBytes(digits * 2)) {
      if (byte < 250 && out.length < digits) out += String(byte % 10);
    }
  }
  return out;
}

/** The keyed hash a code is stored as: HMAC under a key derived from the factor's sealing key. */
function codeHash(
  ctx: KitContext,
  keyId: string,
  userId: string,
  factorId: string,
  code: string,
): string | null {
  const key = ctx.keys.derive("contact-code", keyId);
  if (!key) return null;
  return toHex(ctx.crypto.hmac("sha256", key, utf8(`${userId}\n${factorId}\n${code}`)));
}

const keyIdOf = (sealed: string | undefined) => (sealed ?? "").split(".")[1] ?? "";

/** A code sent, or why not. */
export type SendResult =
  | { ok: true; challengeId: string; expiresAt: number }
  | { ok: false; reason: "rate_limited" | "delivery_failed"; retryAfterMs: number };

const HOUR = 3_600_000;

/**
 * Sends a fresh code to an SMS / e-mail factor: at most one per `otp.resendAfterMs` and
 * `otp.maxSendsPerHour` per factor (one atomic `throttle` step; a refused send sends nothing and a
 * failed delivery still counts, so a failing provider cannot be pumped either); the new code voids
 * the previous one; only its keyed hash is stored.
 */
export async function sendCode(
  ctx: KitContext,
  userId: string,
  factorId: string,
  record: FactorRecord,
): Promise<SendResult> {
  const { otp } = ctx.options;
  const channel = record.type as ContactChannel;
  if (!otp.send) {
    throw new TypeError("createMfaServer: `otp.send` is required to send SMS / e-mail codes.");
  }
  const now = ctx.now();
  const wait = await ctx.store.throttle(
    userId,
    `send:${factorId}`,
    { intervalMs: otp.resendAfterMs, max: otp.maxSendsPerHour, windowMs: HOUR },
    now,
  );
  if (wait > 0) return { ok: false, reason: "rate_limited", retryAfterMs: wait };
  const context = sealContext(userId, factorId);
  const opened = await openText(ctx.keys, record.to ?? "", context);
  if (!opened) throw new Error(`The contact of factor ${factorId} cannot be opened with any key.`);
  let sealedTo = record.to ?? "";
  if (opened.stale) {
    sealedTo = await ctx.keys.seal(utf8(opened.text), context);
    await ctx.store.patchFactor(userId, factorId, { to: sealedTo });
    forgetFactors(ctx, userId);
  }
  const code = randomDigits(ctx, otp.digits);
  const challengeId = `${factorId}.${ctx.randomId(12)}`;
  const hash = codeHash(ctx, keyIdOf(sealedTo), userId, factorId, code)!;
  const expiresAt = now + otp.ttlMs;
  await ctx.store.putCode(userId, factorId, { challengeId, hash, expiresAt }, otp.ttlMs * 2, now);
  try {
    await otp.send({
      channel,
      to: opened.text,
      code,
      userId,
      factorId,
      expiresAt,
      issuer: ctx.options.issuer,
    });
  } catch {
    return { ok: false, reason: "delivery_failed", retryAfterMs: otp.resendAfterMs };
  }
  return { ok: true, challengeId, expiresAt };
}

/** Creates a pending SMS / e-mail factor (contact sealed, a masked hint kept) and sends a code. */
export async function enrollContact(
  ctx: KitContext,
  userId: string,
  channel: ContactChannel,
  to: string,
): Promise<{ factorId: string; send: SendResult }> {
  for (;;) {
    const factorId = newFactorId(ctx);
    const record: FactorRecord = {
      type: channel,
      status: "pending",
      createdAt: String(ctx.now()),
      pendingUntil: String(ctx.now() + ctx.options.enrollment.pendingTtlMs),
      hint: maskContact(channel, to),
      to: await ctx.keys.seal(utf8(to), sealContext(userId, factorId)),
    };
    if (!(await createPending(ctx, userId, factorId, record))) continue;
    return { factorId, send: await sendCode(ctx, userId, factorId, record) };
  }
}

/**
 * The check of an SMS / e-mail code: its keyed hash, compared in constant time with the factor's
 * live code and marked used in the store's one atomic `verifyAttempt`. `strict`: a missing code
 * reads as expired (the caller named this factor or challenge), not as a wrong code.
 */
export function contactCheck(
  ctx: KitContext,
  userId: string,
  factorId: string,
  record: FactorRecord,
  rawCode: unknown,
  challengeId: string | undefined,
  strict: boolean,
  now: number,
): CredentialCheck {
  const base = {
    factorId,
    expect: { status: record.status ?? "" },
    acr: "mfa",
    amr: record.type === "sms" ? ["sms", "mfa"] : ["otp", "mfa"],
    guessable: true,
  };
  const code = normalizeCode(rawCode, ctx.options.otp.digits);
  if (code === null) return { ...base, kind: "none", failure: "invalid_code" };
  if (challengeId !== undefined && !challengeId.startsWith(`${factorId}.`)) {
    return { ...base, kind: "none", failure: strict ? "code_expired" : "invalid_code" };
  }
  const hash = codeHash(ctx, keyIdOf(record.to), userId, factorId, code);
  if (!hash) return { ...base, kind: "none", failure: "invalid_code" };
  return {
    ...base,
    kind: "code",
    hash,
    ...(challengeId !== undefined ? { challengeId } : {}),
    missing: strict ? "code_expired" : "invalid_code",
    patch: { lastUsedAt: String(now) },
  };
}
