import type { KitContext } from "../context";
import type { HashAlgorithm, MfaCrypto } from "../crypto/types";
import type { CredentialCheck, FactorRecord } from "../stores/types";
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

/** Where a code matched among HOTP counters (see {@link scanHotp}). */
export interface HotpScan {
  /** The first counter within the look-ahead whose code matches. */
  match?: number;
  /** Counters past the look-ahead, up to one past the resync window, whose code matches. */
  ahead: number[];
  /** Whether the code is one of the few just behind the counter (a replay of a used code). */
  behind: boolean;
}

/**
 * Looks for `code` at counters `counter .. counter + lookAhead` (a match), then up to
 * `counter + resyncWindow + 1` (resynchronisation, RFC 4226 §7.4: the first of two consecutive
 * codes within the window, or the second of a pair), then at the few counters just behind.
 */
export function scanHotp(
  crypto: MfaCrypto,
  algorithm: HashAlgorithm,
  key: Uint8Array,
  code: string,
  counter: number,
  digits: number,
  lookAhead: number,
  resyncWindow: number,
): HotpScan {
  const at = (c: number) => codesEqual(hotp(crypto, algorithm, key, c, digits), code);
  for (let c = counter; c <= counter + lookAhead; c++) {
    if (at(c)) return { match: c, ahead: [], behind: false };
  }
  const ahead: number[] = [];
  for (let c = counter + lookAhead + 1; c <= counter + resyncWindow + 1; c++) {
    if (at(c)) ahead.push(c);
  }
  let behind = false;
  for (let c = counter - 1; c >= Math.max(0, counter - 3) && !behind; c--) behind = at(c);
  return { ahead, behind };
}

const RESYNC_TTL_MS = 300_000;

/**
 * What the TOTP and HOTP checks start from: the fields every check of a one-time-password factor
 * carries, `expect`ing its status and `field` (the counter or drift it reads) unchanged, and the
 * code in the factor's number of digits, `null` when it is no such code.
 */
export function otpCheckStart(
  factorId: string,
  record: FactorRecord,
  rawCode: unknown,
  field: "counter" | "drift",
) {
  const digits = Number(record.digits) || 6;
  return {
    base: {
      factorId,
      expect: { status: record.status ?? "", [field]: record[field] ?? "" },
      acr: "mfa",
      amr: ["otp", "mfa"],
      guessable: true,
    },
    digits,
    code: normalizeCode(rawCode, digits),
  };
}

/**
 * The check of an HOTP code (RFC 4226 §7.4), computed here and decided by the store's
 * `verifyAttempt`: a match within the look-ahead moves the counter past it (so a code is accepted
 * once); otherwise a pending resync counter stored by the previous try is taken, and its successor
 * among the matches ahead resynchronises the counter; a first match further ahead, within the
 * resync window, is stored as the pending counter and asks for the next code. The check `expect`s
 * the counter it searched from.
 */
export async function hotpCheck(
  ctx: KitContext,
  userId: string,
  factorId: string,
  record: FactorRecord,
  rawCode: unknown,
  now: number,
): Promise<CredentialCheck> {
  const { base, digits, code } = otpCheckStart(factorId, record, rawCode, "counter");
  const key = code === null ? null : await factorSecret(ctx, userId, factorId, record);
  if (code === null || !key) return { ...base, kind: "none", failure: "invalid_code" };
  const algorithm = hashName(record.algorithm ?? "SHA1");
  const counter = Math.max(0, Number(record.counter) || 0);
  const { lookAhead, resyncWindow } = ctx.options.hotp;
  const m = scanHotp(ctx.crypto, algorithm, key, code, counter, digits, lookAhead, resyncWindow);
  const patch = { lastUsedAt: String(now) };
  if (m.match !== undefined) {
    return { ...base, kind: "counter", field: "counter", value: m.match + 1, patch };
  }
  const candidate = m.ahead.find((c) => c <= counter + resyncWindow);
  return {
    ...base,
    kind: "resync",
    key: `hotp-resync:${factorId}`,
    field: "counter",
    matches: m.ahead,
    ...(candidate !== undefined ? { candidate } : {}),
    ttlMs: RESYNC_TTL_MS,
    failure: m.behind ? "code_reused" : "invalid_code",
    patch,
  };
}
