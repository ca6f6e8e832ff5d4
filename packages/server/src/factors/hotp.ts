import type { KitContext } from "../context";
import type { HashAlgorithm, MfaCrypto } from "../crypto/types";
import type { FactorRecord } from "../stores/types";
import type { CheckOutcome } from "./outcome";
import { factorSecret } from "./secret";

/** The HMAC name of a configured algorithm (`"SHA256"` → `"sha256"`). */
export const hashName = (algorithm: string): HashAlgorithm =>
  algorithm === "SHA256" ? "sha256" : algorithm === "SHA512" ? "sha512" : "sha1";

const POW10 = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1e9, 1e10];

/**
 * The HOTP value of `counter` (RFC 4226 §5.3): HMAC over the 8-byte big-endian counter, dynamic
 * truncation, modulo 10^digits, zero-padded. Counters up to 2^53 (TOTP steps far past 2038).
 */
export function hotp(
  crypto: MfaCrypto,
  algorithm: HashAlgorithm,
  key: Uint8Array,
  counter: number,
  digits: number,
): string {
  const msg = new Uint8Array(8);
  const high = Math.floor(counter / 0x1_0000_0000);
  const low = counter >>> 0;
  msg[0] = high >>> 24;
  msg[1] = (high >>> 16) & 0xff;
  msg[2] = (high >>> 8) & 0xff;
  msg[3] = high & 0xff;
  msg[4] = low >>> 24;
  msg[5] = (low >>> 16) & 0xff;
  msg[6] = (low >>> 8) & 0xff;
  msg[7] = low & 0xff;
  const mac = crypto.hmac(algorithm, key, msg);
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary =
    ((mac[offset]! & 0x7f) << 24) |
    (mac[offset + 1]! << 16) |
    (mac[offset + 2]! << 8) |
    mac[offset + 3]!;
  return String(binary % POW10[digits]!).padStart(digits, "0");
}

/**
 * Normalises a code as typed: strips spaces and hyphens. Returns `null` unless what is left is
 * exactly `digits` ASCII digits: a malformed code is then refused like a wrong one.
 */
export function normalizeCode(code: unknown, digits: number): string | null {
  if (typeof code !== "string" || code.length > 64) return null;
  const cleaned = code.replace(/[\s-]/g, "");
  return cleaned.length === digits && /^[0-9]+$/.test(cleaned) ? cleaned : null;
}

/** Constant-time comparison of two equal-length digit strings. */
export function codesEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Where a code matched among HOTP counters. */
export type HotpMatch =
  | { status: "match"; counter: number }
  | { status: "resync"; counter: number }
  | { status: "behind" }
  | { status: "none" };

/**
 * Looks for `code` at counters `counter .. counter + lookAhead` (a match), then up to
 * `counter + resyncWindow` (a resynchronisation candidate, RFC 4226 §7.4), then at the few counters
 * just behind (`behind`: a replay of a code already used).
 */
export function matchHotp(
  crypto: MfaCrypto,
  algorithm: HashAlgorithm,
  key: Uint8Array,
  code: string,
  counter: number,
  digits: number,
  lookAhead: number,
  resyncWindow: number,
): HotpMatch {
  for (let c = counter; c <= counter + lookAhead; c++) {
    if (codesEqual(hotp(crypto, algorithm, key, c, digits), code))
      return { status: "match", counter: c };
  }
  for (let c = counter + lookAhead + 1; c <= counter + resyncWindow; c++) {
    if (codesEqual(hotp(crypto, algorithm, key, c, digits), code)) {
      return { status: "resync", counter: c };
    }
  }
  for (let c = counter - 1; c >= Math.max(0, counter - 3); c--) {
    if (codesEqual(hotp(crypto, algorithm, key, c, digits), code)) return { status: "behind" };
  }
  return { status: "none" };
}

const RESYNC_TTL_MS = 300_000;

/**
 * Checks an HOTP code (RFC 4226 §7.4): a match within the look-ahead moves the counter past it in
 * one atomic `advanceFactorCounter` (so a code is accepted once); a match further ahead, within the
 * resync window, asks for the next code, and the pair resynchronises the counter.
 */
export async function checkHotp(
  ctx: KitContext,
  userId: string,
  factorId: string,
  record: FactorRecord,
  rawCode: unknown,
): Promise<CheckOutcome> {
  const digits = Number(record.digits) || 6;
  const code = normalizeCode(rawCode, digits);
  if (code === null) return { ok: false, reason: "invalid_code" };
  const key = await factorSecret(ctx, userId, factorId, record);
  if (!key) return { ok: false, reason: "invalid_code" };
  const algorithm = hashName(record.algorithm ?? "SHA1");
  const counter = Math.max(0, Number(record.counter) || 0);
  const { lookAhead, resyncWindow } = ctx.options.hotp;
  const m = matchHotp(ctx.crypto, algorithm, key, code, counter, digits, lookAhead, resyncWindow);
  const accept = async (matched: number): Promise<CheckOutcome> => {
    if (!(await ctx.store.advanceFactorCounter(userId, factorId, "counter", matched + 1))) {
      return { ok: false, reason: "code_reused" };
    }
    await ctx.store.patchFactor(userId, factorId, { lastUsedAt: String(ctx.now()) });
    return { ok: true, factorId, method: "hotp", acr: "mfa", amr: ["otp", "mfa"] };
  };
  if (m.status === "match") return accept(m.counter);
  const resyncKey = `hotp-resync:${factorId}`;
  const pending = await ctx.store.takeChallenge(userId, resyncKey, ctx.now());
  if (pending !== null) {
    const next = Number(pending) + 1;
    if (
      Number.isSafeInteger(next) &&
      codesEqual(hotp(ctx.crypto, algorithm, key, next, digits), code)
    ) {
      return accept(next);
    }
  }
  if (m.status === "resync") {
    await ctx.store.putChallenge(userId, resyncKey, String(m.counter), RESYNC_TTL_MS, ctx.now());
    return { ok: false, reason: "resync_required" };
  }
  return { ok: false, reason: m.status === "behind" ? "code_reused" : "invalid_code" };
}
