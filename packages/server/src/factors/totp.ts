import { normalizeBase32 } from "@mfa-kit/protocol";
import { generateURI } from "otplib";
import type { KitContext } from "../context";
import { toBase32, utf8 } from "../crypto/encoding";
import type { HashAlgorithm, MfaCrypto } from "../crypto/types";
import type { CredentialCheck, FactorRecord } from "../stores/types";
import { forgetFactors } from "./factorCache";
import { createPending, newFactorId, sealContext } from "./factorRecord";
import { codesEqual, hashName, hotp, otpCheckStart } from "./hotp";
import { factorSecret } from "./secret";

/** The TOTP value at `timeSeconds` (RFC 6238: HOTP of floor((t - T0) / period), T0 = 0). */
export function totp(
  crypto: MfaCrypto,
  algorithm: HashAlgorithm,
  key: Uint8Array,
  timeSeconds: number,
  period: number,
  digits: number,
): string {
  return hotp(crypto, algorithm, key, Math.floor(timeSeconds / period), digits);
}

/**
 * The step within `window` of `center` whose code equals `code`, checked centre first, then
 * outwards (`center-1`, `center+1`, ...), or `null`.
 */
export function matchTotpStep(
  crypto: MfaCrypto,
  algorithm: HashAlgorithm,
  key: Uint8Array,
  code: string,
  center: number,
  window: number,
  digits: number,
): number | null {
  for (let d = 0; d <= window; d++) {
    for (const step of d === 0 ? [center] : [center - d, center + d]) {
      if (step >= 0 && codesEqual(hotp(crypto, algorithm, key, step, digits), code)) return step;
    }
  }
  return null;
}

/** Answer of `enrollTotp`: show `otpauthUri` as a QR code and `secret` for manual entry. */
export interface TotpEnrollment {
  factorId: string;
  /** Base32, unpadded. Shown once; stored only sealed. */
  secret: string;
  /** `otpauth://totp/...` (Key Uri Format). */
  otpauthUri: string;
}

/**
 * A label authenticator apps cannot show: missing (no `label` and no `accountName` option), or
 * with a colon (Key Uri Format: apps split the label at the first colon). Nothing was stored.
 */
export class AccountLabelError extends TypeError {
  override name = "AccountLabelError";
}

/**
 * The account name of a new TOTP / HOTP factor: `label`, else the `accountName` option's answer;
 * trimmed, at most 128 characters, never with a colon (Key Uri Format: "Neither issuer nor account
 * name may themselves contain a colon"). Throws an {@link AccountLabelError} otherwise.
 */
async function accountLabel(
  ctx: KitContext,
  userId: string,
  label: unknown,
  method: string,
): Promise<string> {
  if (label !== undefined && typeof label !== "string") {
    throw new AccountLabelError(`${method}: \`label\` must be a string.`);
  }
  const name = (label || (await ctx.options.accountName?.(userId)) || "").trim().slice(0, 128);
  if (!name) {
    throw new AccountLabelError(
      `${method}: pass a \`label\` (the account name the user knows, e.g. their e-mail) or set the \`accountName\` option; authenticator apps show it next to the issuer.`,
    );
  }
  if (name.includes(":")) {
    throw new AccountLabelError(
      `${method}: the account name may not contain a colon (Key Uri Format), got ${JSON.stringify(name)}.`,
    );
  }
  return name;
}

/** The otpauth URI of an OTP app factor (Key Uri Format); `issuer` and `label` hold no colon. */
const otpauthUri = (
  ctx: KitContext,
  type: "totp" | "hotp",
  label: string,
  secret: string,
  record: FactorRecord,
) =>
  generateURI({
    strategy: type,
    issuer: ctx.options.issuer,
    label,
    secret,
    algorithm: hashName(record.algorithm ?? "SHA1"),
    digits: Number(record.digits),
    ...(type === "totp" ? { period: Number(record.period) } : { counter: Number(record.counter) }),
  });

/**
 * Creates a pending TOTP (or HOTP) factor with a fresh sealed secret: activatable for
 * `enrollment.pendingTtlMs`; beyond `enrollment.maxPending` the user's oldest pending one goes.
 */
export async function enrollOtpApp(
  ctx: KitContext,
  userId: string,
  options: { label?: string; type?: "totp" | "hotp"; counter?: number },
): Promise<TotpEnrollment> {
  const type = options.type ?? "totp";
  const cfg = type === "totp" ? ctx.options.totp : ctx.options.hotp;
  const method = type === "totp" ? "enrollTotp" : "enrollHotp";
  const label = await accountLabel(ctx, userId, options.label, method);
  const secretBytes = ctx.crypto.randomBytes(ctx.options.totp.secretBytes);
  const secret = toBase32(secretBytes);
  const counter = Math.max(0, Math.floor(options.counter ?? 0));
  for (;;) {
    const factorId = newFactorId(ctx);
    const record: FactorRecord = {
      type,
      status: "pending",
      label,
      createdAt: String(ctx.now()),
      pendingUntil: String(ctx.now() + ctx.options.enrollment.pendingTtlMs),
      secret: await ctx.keys.seal(utf8(secret), sealContext(userId, factorId)),
      algorithm: cfg.algorithm,
      digits: String(cfg.digits),
    };
    if (type === "totp") record.period = String(ctx.options.totp.period);
    else record.counter = String(counter);
    if (!(await createPending(ctx, userId, factorId, record))) continue;
    return { factorId, secret, otpauthUri: otpauthUri(ctx, type, label, secret, record) };
  }
}

/** What {@link importOtpApp} takes: the secret, or the otpauth URI the other provider showed. */
export type ImportedTotp = (
  | { secret: string; otpauthUri?: undefined }
  | { otpauthUri: string; secret?: undefined }
) & {
  /** The account name shown in the factor list. Defaults to the URI's account name, then `accountName`. */
  label?: string;
};

const ALGORITHMS: Record<string, "SHA1" | "SHA256" | "SHA512"> = {
  SHA1: "SHA1",
  SHA256: "SHA256",
  SHA512: "SHA512",
};

/**
 * Reads an `otpauth://totp/...` or `otpauth://hotp/...` URI (Key Uri Format): secret (required),
 * algorithm, digits (6 to 8), period, counter, and the account name of its label. Throws a
 * `TypeError` naming what is wrong.
 */
function parseOtpauthUri(uri: string): {
  type: "totp" | "hotp";
  secret: string;
  algorithm: "SHA1" | "SHA256" | "SHA512";
  digits: number;
  period: number;
  counter: number;
  account: string;
} {
  const fail = (what: string): never => {
    throw new TypeError(`importTotp: ${what}.`);
  };
  let url: URL | undefined;
  try {
    url = typeof uri === "string" && uri.length <= 2048 ? new URL(uri) : undefined;
  } catch {}
  if (url?.protocol !== "otpauth:" || (url.host !== "totp" && url.host !== "hotp")) {
    return fail("`otpauthUri` must be an otpauth://totp/ or otpauth://hotp/ URI");
  }
  const param = (name: string) => url.searchParams.get(name) ?? undefined;
  const int = (name: string, fallback: number, min: number, max: number) => {
    const text = param(name);
    if (text === undefined) return fallback;
    const n = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
    return n >= min && n <= max
      ? n
      : fail(`the URI's ${name} must be an integer from ${min} to ${max}`);
  };
  let label = "";
  try {
    label = decodeURIComponent(url.pathname.replace(/^\//, ""));
  } catch {
    fail("the URI's label is not valid percent-encoding");
  }
  const algorithm = ALGORITHMS[(param("algorithm") ?? "SHA1").toUpperCase()];
  if (!algorithm) fail("the URI's algorithm must be SHA1, SHA256 or SHA512");
  const type = url.host as "totp" | "hotp";
  if (type === "hotp" && param("counter") === undefined) fail("an HOTP URI needs a counter");
  return {
    type,
    secret: param("secret") ?? fail("the URI has no secret"),
    algorithm: algorithm!,
    digits: int("digits", 6, 6, 8),
    period: int("period", 30, 1, 86_400),
    counter: int("counter", 0, 0, Number.MAX_SAFE_INTEGER),
    // "Issuer:account": the account is what follows the first colon
    account: label.slice(label.indexOf(":") + 1).trim(),
  };
}

/**
 * Stores an OTP app secret from another provider as an active factor, sealed like any other: from
 * `secret` (base32, the kit's TOTP settings) or from the `otpauthUri` the provider showed (its
 * type, algorithm, digits, period or counter kept). Throws a `TypeError` naming what is wrong.
 */
export async function importOtpApp(
  ctx: KitContext,
  userId: string,
  input: ImportedTotp,
): Promise<{ factorId: string; record: FactorRecord }> {
  const { secret, otpauthUri: uri } = input ?? ({} as ImportedTotp);
  if ((secret === undefined) === (uri === undefined)) {
    throw new TypeError("importTotp: pass either `secret` (base32) or `otpauthUri`.");
  }
  const parsed =
    uri !== undefined
      ? parseOtpauthUri(uri)
      : {
          type: "totp" as const,
          secret,
          ...ctx.options.totp,
          counter: 0,
          account: "",
        };
  let key: string;
  try {
    key = normalizeBase32(parsed.secret as string);
  } catch (error) {
    throw new TypeError(`importTotp: the secret is not base32 (${(error as Error).message})`);
  }
  if (key.length < 16) throw new TypeError("importTotp: the secret is shorter than 80 bits.");
  const label = await accountLabel(
    ctx,
    userId,
    input.label || parsed.account || undefined,
    "importTotp",
  );
  for (;;) {
    const factorId = newFactorId(ctx);
    const record: FactorRecord = {
      type: parsed.type,
      status: "active",
      label,
      createdAt: String(ctx.now()),
      secret: await ctx.keys.seal(utf8(key), sealContext(userId, factorId)),
      algorithm: parsed.algorithm,
      digits: String(parsed.digits),
      imported: "true",
    };
    if (parsed.type === "totp") record.period = String(parsed.period);
    else record.counter = String(parsed.counter);
    if (!(await ctx.store.createFactor(userId, factorId, record))) continue;
    forgetFactors(ctx, userId);
    return { factorId, record };
  }
}

/** The most steps a factor's remembered drift may reach either way. */
export const MAX_DRIFT = 100;

/**
 * The check of a TOTP code (computed here, decided by the store's `verifyAttempt`): the window is
 * centred on the current step plus the factor's remembered drift (RFC 6238 §6), so the check
 * `expect`s the drift it used; the matched step must be later than the last accepted one (the
 * `lastStep` counter), so a code is never accepted twice; a pass remembers the new drift. A
 * pending factor's first code is matched within `totp.activationWindow`, any later one within
 * `totp.window`.
 */
export function totpCheck(
  ctx: KitContext,
  userId: string,
  factorId: string,
  record: FactorRecord,
  rawCode: unknown,
  now: number,
): CredentialCheck | Promise<CredentialCheck> {
  const { base, digits, code } = otpCheckStart(factorId, record, rawCode, "drift");
  if (code === null) return { ...base, kind: "none", failure: "invalid_code" };
  const match = (key: Uint8Array | null): CredentialCheck => {
    if (!key) return { ...base, kind: "none", failure: "invalid_code" };
    const period = Number(record.period) || 30;
    const algorithm = hashName(record.algorithm ?? "SHA1");
    const current = Math.floor(now / 1000 / period);
    const drift = Math.max(-MAX_DRIFT, Math.min(MAX_DRIFT, Number(record.drift) || 0));
    // The first code of a pending factor (its activation) gets the wider activation window.
    const { window, activationWindow } = ctx.options.totp;
    const step = matchTotpStep(
      ctx.crypto,
      algorithm,
      key,
      code,
      current + drift,
      record.status === "pending" ? activationWindow : window,
      digits,
    );
    if (step === null) return { ...base, kind: "none", failure: "invalid_code" };
    const patch: FactorRecord = { lastUsedAt: String(now) };
    if (step - current !== drift) patch.drift = String(step - current);
    return { ...base, kind: "counter", field: "lastStep", value: step, patch };
  };
  const key = factorSecret(ctx, userId, factorId, record);
  return key instanceof Promise ? key.then(match) : match(key);
}
