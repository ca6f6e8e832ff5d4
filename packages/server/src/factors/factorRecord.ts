import type { FactorSummary, FactorType } from "@mfa-kit/protocol";
import type { KitContext } from "../context";
import type { FactorRecord } from "../stores/types";
import { forgetFactors } from "./factorCache";

/** A factor as the API shows it, with the kit's advice on security keys. */
export interface FactorInfo extends FactorSummary {
  /** For WebAuthn security keys: when re-registration is due (epoch milliseconds). */
  reRegisterAt?: number;
  /** For WebAuthn security keys older than `webauthn.reRegisterAfterMs`: register a new key. */
  reRegister?: boolean;
}

const TYPES: readonly string[] = ["totp", "hotp", "sms", "email", "webauthn"];

/** The factor type of a stored record, or `null` for a record the kit did not write. */
export function factorType(record: FactorRecord): FactorType | null {
  return TYPES.includes(record.type ?? "") ? (record.type as FactorType) : null;
}

/** Whether the record is an activated factor. */
export const isActive = (record: FactorRecord | null | undefined): boolean =>
  record?.status === "active" && factorType(record) !== null;

/**
 * Whether the record is a pending factor that can still be activated: `pendingUntil` (epoch
 * milliseconds) lies after `now`. A pending record without one (written before pending factors
 * expired) is expired.
 */
export const isLivePending = (record: FactorRecord | null | undefined, now: number): boolean => {
  if (record?.status !== "pending" || factorType(record) === null) return false;
  const until = Number(record.pendingUntil);
  return record.pendingUntil !== undefined && Number.isFinite(until) && until > now;
};

/** Whether a stored record is shown and usable: active, or pending and not expired. */
export const isLive = (record: FactorRecord, now: number): boolean =>
  isActive(record) || isLivePending(record, now);

/** The public view of a stored factor: never a secret, contacts masked. */
export function toSummary(ctx: KitContext, id: string, record: FactorRecord): FactorInfo {
  const summary: FactorInfo = {
    id,
    type: factorType(record) ?? "totp",
    status: record.status === "active" ? "active" : "pending",
    createdAt: Number(record.createdAt) || 0,
  };
  if (record.label) summary.label = record.label;
  if (record.hint) summary.hint = record.hint;
  if (record.lastUsedAt) summary.lastUsedAt = Number(record.lastUsedAt);
  const webauthn = ctx.options.webauthn;
  if (record.type === "webauthn" && record.deviceType === "singleDevice" && webauthn) {
    summary.reRegisterAt = summary.createdAt + webauthn.reRegisterAfterMs;
    summary.reRegister = ctx.now() >= summary.reRegisterAt;
  }
  return summary;
}

/** A new factor id: `f_` and 96 random bits. Never contains `.`, which separates challenge ids. */
export const newFactorId = (ctx: KitContext) => `f_${ctx.randomId(12)}`;

/** The AAD a factor's sealed values are bound to, so a sealed value cannot move to another factor. */
export const sealContext = (userId: string, factorId: string) => `factor\n${userId}\n${factorId}`;

/**
 * Stores a new pending factor (one atomic store step that also purges the user's expired pending
 * factors and keeps at most `enrollment.maxPending`); `false` when the id was taken.
 */
export async function createPending(
  ctx: KitContext,
  userId: string,
  factorId: string,
  record: FactorRecord,
): Promise<boolean> {
  const { maxPending } = ctx.options.enrollment;
  const created = await ctx.store.createPendingFactor(
    userId,
    factorId,
    record,
    { maxPending },
    ctx.now(),
  );
  if (created) forgetFactors(ctx, userId);
  return created;
}
