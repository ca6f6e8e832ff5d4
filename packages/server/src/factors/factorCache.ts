import type { KitContext } from "../context";
import type { CredentialCheck, FactorRecord, UserFactors } from "../stores/types";

/** How long a snapshot serves verifications before it is read again. */
const TTL_MS = 300_000;
/** How many users' snapshots an instance keeps. */
export const MAX_USERS = 10_000;

/**
 * The user's factors from the store (one read), kept as this instance's snapshot. Every management
 * path (listing, challenges, removal) reads fresh through here, which also refreshes what the next
 * verification starts from.
 */
export async function loadFactors(ctx: KitContext, userId: string): Promise<UserFactors> {
  const value = await ctx.store.loadFactors(userId);
  remember(ctx, userId, value);
  return value;
}

/**
 * The user's factors as a verification starts from them: this instance's snapshot when it has a
 * recent one (no round trip), else a fresh read. A snapshot holds sealed secrets and hashes only,
 * like the store, and may be out of date: `verifyAttempt` refuses one whose `rev` (or a field a
 * check `expect`s) has moved on with `stale`, and the kit reads again.
 */
export async function cachedFactors(
  ctx: KitContext,
  userId: string,
): Promise<{ value: UserFactors; cached: boolean }> {
  const entry = ctx.factors.get(userId);
  if (entry && entry.until > ctx.now()) return { value: entry.value, cached: true };
  return { value: await loadFactors(ctx, userId), cached: false };
}

/** Keeps a snapshot (replacing the user's previous one); unused ones age out beyond the bound. */
function remember(ctx: KitContext, userId: string, value: UserFactors): void {
  ctx.factors.set(userId, { value, until: ctx.now() + TTL_MS });
}

/**
 * Applies what a successful `verifyAttempt` wrote (the passing check's counter and patch, a backup
 * code used) to the snapshot it was computed from, so the next verification on this instance
 * starts from the store's state without reading it. The `rev` stays: those writes do not move it.
 * In place: verifications of one user take turns, and readers only ever see whole records.
 */
export function updateCachedFactors(
  ctx: KitContext,
  userId: string,
  from: UserFactors,
  check: CredentialCheck,
  backupCodesRemaining: number | undefined,
): void {
  if (ctx.factors.get(userId)?.value !== from) return;
  const record = check.factorId === undefined ? undefined : from.factors[check.factorId];
  if (record) {
    const updated: FactorRecord = { ...record, ...check.patch };
    if (check.kind === "counter") updated[check.field] = String(check.value);
    from.factors[check.factorId!] = updated;
  }
  if (from.backupCodes && backupCodesRemaining !== undefined) {
    from.backupCodes = { salt: from.backupCodes.salt, remaining: backupCodesRemaining };
  }
}

/** Drops the user's snapshot (after this instance changed their factors). */
export function forgetFactors(ctx: KitContext, userId: string): void {
  ctx.factors.delete(userId);
}
