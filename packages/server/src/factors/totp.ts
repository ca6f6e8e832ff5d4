import { generateURI } from "otplib";
import type { KitContext } from "../context";
import { toBase32, utf8 } from "../crypto/encoding";
import type { HashAlgorithm, MfaCrypto } from "../crypto/types";
import type { CredentialCheck, FactorRecord } from "../stores/types";
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
 * Creates a pending TOTP (or HOTP) factor with a fresh sealed secret: activatable for
 * `enrollment.pendingTtlMs`; beyond `enrollment.maxPending` the user's oldest pending one goes.
 */
export async function enrollOtpApp(
  ctx: KitContext,
  userId: string,
  options: { label?: string; type?: "totp" | "hotp"; counter?: number },
): Promise<TotpEnrollment> {
  const { totp: cfg } = ctx.options;
  const type = options.type ?? "totp";
  const label = typeof options.label === "string" && options.label ? options.label : userId;
  const secretBytes = ctx.crypto.randomBytes(cfg.secretBytes);
  const secret = toBase32(secretBytes);
  const counter = Math.max(0, Math.floor(options.counter ?? 0));
  for (;;) {
    const factorId = newFactorId(ctx);
    const record: FactorRecord = {
      type,
      status: "pending",
      label: label.slice(0, 128),
      createdAt: String(ctx.now()),
      pendingUntil: String(ctx.now() + ctx.options.enrollment.pendingTtlMs),
      secret: await ctx.keys.seal(utf8(secret), sealContext(userId, factorId)),
      algorithm: cfg.algorithm,
      digits: String(cfg.digits),
    };
    if (type === "totp") record.period = String(cfg.period);
    else record.counter = String(counter);
    if (!(await createPending(ctx, userId, factorId, record))) continue;
    const otpauthUri = generateURI({
      strategy: type,
      issuer: ctx.options.issuer,
      label: label.slice(0, 128),
      secret,
      algorithm: hashName(cfg.algorithm),
      digits: cfg.digits,
      ...(type === "totp" ? { period: cfg.period } : { counter }),
    });
    return { factorId, secret, otpauthUri };
  }
}

const MAX_DRIFT = 100;

/**
 * The check of a TOTP code (computed here, decided by the store's `verifyAttempt`): the window is
 * centred on the current step plus the factor's remembered drift (RFC 6238 §6), so the check
 * `expect`s the drift it used; the matched step must be later than the last accepted one (the
 * `lastStep` counter), so a code is never accepted twice; a pass remembers the new drift.
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
    const step = matchTotpStep(
      ctx.crypto,
      algorithm,
      key,
      code,
      current + drift,
      ctx.options.totp.window,
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
