import { emit, eventContext, type KitContext } from "./context";
import { toBase64Url, utf8 } from "./crypto/encoding";
import type { VerifyContext } from "./events/types";
import { type FactorInfo, isActive, toSummary } from "./factors/factorRecord";

const LAST_COUNTRY = "last-country";
const SEEN = "seen";
const PENDING = "additional-factor";
const YEAR = 365 * 86_400_000;

/** What the successful factor established, before risk signals. */
export interface Proof {
  factorId?: string;
  method: string;
  acr: string;
  amr: string[];
}

/** Go on with these claims, or hold until a second, different factor. */
export type RiskVerdict =
  | { hold: false; acr: string; amr: string[] }
  | { hold: true; factors: FactorInfo[]; backupCodes: boolean };

const countryOf = (context: VerifyContext | undefined) => {
  const c = context?.country;
  return typeof c === "string" && /^[A-Za-z]{2,3}$/.test(c) ? c.toUpperCase() : undefined;
};

const parse = <T>(raw: string | null): T | null => {
  if (raw === null) return null;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return null;
  }
};

/**
 * The country signal: a success from a different country than the last success is held until a
 * second, different factor (or a backup code) is verified from that country, when the user has
 * one; `location.changed` is emitted either way.
 */
export async function assessLocation(
  ctx: KitContext,
  userId: string,
  proof: Proof,
  context: VerifyContext | undefined,
): Promise<RiskVerdict> {
  const pass: RiskVerdict = { hold: false, acr: proof.acr, amr: proof.amr };
  const country = countryOf(context);
  if (!ctx.options.risk.additionalFactorOnCountryChange || !country) return pass;
  const now = ctx.now();
  const last = await ctx.store.peek(userId, LAST_COUNTRY, now);
  if (last === null || last === country) return pass;

  const key = proof.factorId ?? "backup_code";
  const pending = parse<Proof & { key: string; country: string }>(
    await ctx.store.takeChallenge(userId, PENDING, now),
  );
  if (pending && pending.country === country && pending.key !== key) {
    const amr = [...new Set([...pending.amr, ...proof.amr])];
    return { hold: false, acr: pending.acr === "phr" ? "phr" : proof.acr, amr };
  }

  const all = await ctx.store.listFactors(userId);
  const factors = Object.entries(all)
    .filter(([id, r]) => isActive(r) && id !== proof.factorId)
    .map(([id, r]) => toSummary(ctx, id, r));
  const backupCodes =
    proof.method !== "backup_code" &&
    ((await ctx.store.getBackupCodes(userId))?.remaining ?? 0) > 0;
  const hold = factors.length > 0 || backupCodes;
  emit(ctx, {
    type: "location.changed",
    userId,
    from: last,
    to: country,
    additionalFactorRequired: hold,
    context: eventContext(context),
  });
  if (!hold) return pass;
  await ctx.store.putChallenge(
    userId,
    PENDING,
    JSON.stringify({ ...proof, key, country }),
    ctx.options.otp.ttlMs,
    now,
  );
  return { hold: true, factors, backupCodes };
}

/**
 * Remembers a completed verification: its country, and its device (by hash). A device not seen
 * before (within `risk.deviceMemoryMs`) emits `device.new`, except on the user's first success.
 */
export async function rememberSuccess(
  ctx: KitContext,
  userId: string,
  context: VerifyContext | undefined,
): Promise<void> {
  const now = ctx.now();
  const country = countryOf(context);
  if (country) await ctx.store.swap(userId, LAST_COUNTRY, country, YEAR, now);
  const seenBefore = (await ctx.store.swap(userId, SEEN, "1", YEAR, now)) !== null;
  const deviceId = context?.deviceId;
  if (typeof deviceId !== "string" || deviceId === "") return;
  const device = toBase64Url(
    ctx.crypto.hmac("sha256", utf8("mfa-kit/device/v1"), utf8(`${userId}\n${deviceId}`)),
  ).slice(0, 32);
  const known = await ctx.store.swap(
    userId,
    `device:${device}`,
    "1",
    ctx.options.risk.deviceMemoryMs,
    now,
  );
  if (known === null && seenBefore) {
    emit(ctx, { type: "device.new", userId, notify: "user", context: eventContext(context) });
  }
}
