import { emit, eventContext, type KitContext } from "./context";
import { toBase64Url, utf8 } from "./crypto/encoding";
import type { VerifyContext } from "./events/types";
import { loadFactors } from "./factors/factorCache";
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

/** What stands for a country the context does not tell (`XX`, as CDNs report a GeoIP miss). */
const UNKNOWN_COUNTRY = "XX";

/** The context's country, upper-cased; `undefined` when missing, malformed or `XX`. */
const countryOf = (context: VerifyContext | undefined) => {
  const c = context?.country;
  if (typeof c !== "string" || !/^[A-Za-z]{2,3}$/.test(c)) return undefined;
  const upper = c.toUpperCase();
  return upper === UNKNOWN_COUNTRY ? undefined : upper;
};

/**
 * The country the country rule compares: the context's, or — when it has none and
 * `risk.unknownCountry` is `"hold"` — {@link UNKNOWN_COUNTRY}, which differs from every country a
 * user succeeded from, so a GeoIP miss cannot skip the additional factor. `undefined` when the
 * rule does not apply.
 */
const ruleCountry = (ctx: KitContext, context: VerifyContext | undefined) => {
  const { additionalFactorOnCountryChange, unknownCountry } = ctx.options.risk;
  if (!additionalFactorOnCountryChange) return undefined;
  return countryOf(context) ?? (unknownCountry === "hold" ? UNKNOWN_COUNTRY : undefined);
};

const parse = <T>(raw: string | null): T | null => {
  if (raw === null) return null;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return null;
  }
};

/** The markers of a success (`SuccessSteps`), and how to read their previous values. */
export interface SuccessMarkers {
  hold?: { key: string; value: string };
  swap: { key: string; value: string; ttlMs: number }[];
  /** Emits `device.new` when the markers' previous values say so. */
  settle(previous: (string | null)[]): void;
}

/**
 * What a success remembers, as markers `verifyAttempt` sets in the same step: the country (held
 * when it differs from the last success's, see {@link assessLocation}), that the user has
 * succeeded before, and the device (by hash). A device not seen before (within
 * `risk.deviceMemoryMs`) emits `device.new`, except on the user's first success.
 */
export function successMarkers(
  ctx: KitContext,
  userId: string,
  context: VerifyContext | undefined,
): SuccessMarkers {
  const country = countryOf(context);
  const swap: SuccessMarkers["swap"] = [];
  if (country) swap.push({ key: LAST_COUNTRY, value: country, ttlMs: YEAR });
  const seenAt = swap.push({ key: SEEN, value: "1", ttlMs: YEAR }) - 1;
  const deviceId = context?.deviceId;
  const device =
    typeof deviceId === "string" && deviceId !== "" ? deviceKey(ctx, userId, deviceId) : null;
  if (device) swap.push({ key: device, value: "1", ttlMs: ctx.options.risk.deviceMemoryMs });
  // Only a known country is remembered; an unknown one is held against the last known one.
  const compared = ruleCountry(ctx, context);
  return {
    ...(compared ? { hold: { key: LAST_COUNTRY, value: compared } } : {}),
    swap,
    settle(previous) {
      const seenBefore = (previous[seenAt] ?? null) !== null;
      if (device && seenBefore && (previous[seenAt + 1] ?? null) === null && ctx.events.enabled) {
        emit(ctx, { type: "device.new", userId, notify: "user", context: eventContext(context) });
      }
    },
  };
}

const deviceKey = (ctx: KitContext, userId: string, deviceId: string) =>
  `device:${toBase64Url(
    ctx.crypto.hmac("sha256", utf8("mfa-kit/device/v1"), utf8(`${userId}\n${deviceId}`)),
  ).slice(0, 32)}`;

/**
 * The country signal, after `verifyAttempt` stopped a success because the country differs from
 * the last success's (`last`): the success is held until a second, different factor (or a backup
 * code) is verified from that country, when the user has one; `location.changed` is emitted either
 * way. A second factor completing a held one passes with both factors' `amr`.
 */
export async function assessLocation(
  ctx: KitContext,
  userId: string,
  proof: Proof,
  context: VerifyContext | undefined,
  last: string,
): Promise<RiskVerdict> {
  const pass: RiskVerdict = { hold: false, acr: proof.acr, amr: proof.amr };
  const country = ruleCountry(ctx, context);
  if (!country) return pass;
  const now = ctx.now();
  const key = proof.factorId ?? "backup_code";
  const pending = parse<Proof & { key: string; country: string }>(
    await ctx.store.takeChallenge(userId, PENDING, now),
  );
  if (pending && pending.country === country && pending.key !== key) {
    const amr = [...new Set([...pending.amr, ...proof.amr])];
    return { hold: false, acr: pending.acr === "phr" ? "phr" : proof.acr, amr };
  }

  const user = await loadFactors(ctx, userId);
  const factors = Object.entries(user.factors)
    .filter(([id, r]) => isActive(r) && id !== proof.factorId)
    .map(([id, r]) => toSummary(ctx, id, r));
  const backupCodes = proof.method !== "backup_code" && (user.backupCodes?.remaining ?? 0) > 0;
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
 * Sets the markers of {@link successMarkers} one store call each: the path of a success that was
 * held by the country signal and then let through.
 */
export async function rememberSuccess(
  ctx: KitContext,
  userId: string,
  context: VerifyContext | undefined,
): Promise<void> {
  const now = ctx.now();
  const markers = successMarkers(ctx, userId, context);
  const previous: (string | null)[] = [];
  for (const m of markers.swap) {
    previous.push(await ctx.store.swap(userId, m.key, m.value, m.ttlMs, now));
  }
  markers.settle(previous);
}
