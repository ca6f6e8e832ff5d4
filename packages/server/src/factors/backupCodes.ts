import type { KitContext } from "../context";
import { fromBase64, toBase64Url, toHex, utf8 } from "../crypto/encoding";
import type { BackupCodeSet, CredentialCheck } from "../stores/types";
import { forgetFactors } from "./factorCache";

// Crockford's base32: no I, L, O, U, so codes read aloud and typed back survive.
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
/** Characters per code: 12 × 5 bits = 60 bits from the CSPRNG. */
export const BACKUP_CODE_LENGTH = 12;

/** One code as shown: `k7m2-q9xp-4hrt`. */
function newCode(ctx: KitContext): string {
  // 256 is a multiple of 32, so `byte & 31` is uniform.
  const bytes = ctx.crypto.randomBytes(BACKUP_CODE_LENGTH);
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    if (i > 0 && i % 4 === 0) out += "-";
    out += ALPHABET[bytes[i]! & 31];
  }
  return out;
}

/**
 * A backup code as typed, in canonical form: separators and spaces dropped, lower-cased, and the
 * look-alikes Crockford maps (`i`/`l` → `1`, `o` → `0`) mapped. `null` unless 12 valid characters.
 */
export function normalizeBackupCode(input: unknown): string | null {
  if (typeof input !== "string" || input.length > 64) return null;
  const s = input.toLowerCase().replace(/[\s-]/g, "").replace(/[il]/g, "1").replace(/o/g, "0");
  return s.length === BACKUP_CODE_LENGTH && /^[0-9a-hjkmnp-tv-z]+$/.test(s) ? s : null;
}

const hashCode = (ctx: KitContext, salt: string, code: string) =>
  toHex(ctx.crypto.hmac("sha256", fromBase64(salt) ?? utf8(salt), utf8(code)));

/** A new set: the codes to show once, and what the store keeps (a random salt and the hashes). */
function generateBackupCodes(ctx: KitContext): { codes: string[]; set: BackupCodeSet } {
  const salt = toBase64Url(ctx.crypto.randomBytes(16));
  const codes = Array.from({ length: ctx.options.backupCodeCount }, () => newCode(ctx));
  const hashes = codes.map((code) => hashCode(ctx, salt, normalizeBackupCode(code)!));
  return { codes, set: { salt, hashes } };
}

/**
 * Stores a fresh set for the user and returns its codes (shown once). With `ifAbsent`, only when
 * the user has no set yet; `null` otherwise.
 */
export async function issueBackupCodes(
  ctx: KitContext,
  userId: string,
  ifAbsent: boolean,
): Promise<string[] | null> {
  const { codes, set } = generateBackupCodes(ctx);
  const stored = await ctx.store.setBackupCodes(userId, set, { ifAbsent });
  if (stored) forgetFactors(ctx, userId);
  return stored ? codes : null;
}

/**
 * The check of a backup code: hashed with the set's salt here, removed from the set by the store's
 * one atomic `verifyAttempt` (so of 50 concurrent uses exactly one passes).
 */
export function backupCodeCheck(ctx: KitContext, salt: string, raw: unknown): CredentialCheck {
  const base = { acr: "mfa", amr: ["otp", "mfa"] };
  const code = normalizeBackupCode(raw);
  if (code === null) return { ...base, kind: "none", failure: "invalid_code" };
  return { ...base, kind: "backupCode", hash: hashCode(ctx, salt, code) };
}
