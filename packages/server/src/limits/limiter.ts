import { emit, eventContext, type KitContext } from "../context";
import type { MethodType, VerifyContext } from "../events/types";
import type { LimitPolicy } from "../stores/types";

/** Suggested wait when every allowed attempt is already in flight. */
const BUSY_RETRY_MS = 1_000;

/** The store's limiter policy from the kit's `limits` option. */
export const limitPolicy = (ctx: KitContext): LimitPolicy => ctx.options.limits;

/** Permission to check one credential, or why not. */
export type Gate =
  | { ok: true; reservationId: string; attemptsLeft: number }
  | { ok: false; reason: "locked" | "rate_limited"; retryAfterMs: number };

/** Reserves one attempt before any code is checked (see `MfaStore.reserveAttempt`). */
export async function openGate(ctx: KitContext, userId: string): Promise<Gate> {
  const reservationId = ctx.uniqueId();
  const r = await ctx.store.reserveAttempt(userId, reservationId, limitPolicy(ctx), ctx.now());
  if (r.ok) return { ok: true, reservationId, attemptsLeft: r.attemptsLeft };
  if (r.reason === "locked") return { ok: false, reason: "locked", retryAfterMs: r.retryAfterMs };
  return { ok: false, reason: "rate_limited", retryAfterMs: BUSY_RETRY_MS };
}

/** A settled failure: tries left, or the lock it started. */
export type FailureVerdict =
  | { locked: false; attemptsLeft: number }
  | { locked: true; retryAfterMs: number };

/** Records a failed check, emitting `mfa.failed` and, when it starts a lock, `mfa.locked`. */
export async function recordFailure(
  ctx: KitContext,
  userId: string,
  gate: { reservationId: string },
  details: { reason: string; factorId?: string; method?: MethodType; context?: VerifyContext },
): Promise<FailureVerdict> {
  const settled = await ctx.store.settleAttempt(
    userId,
    gate.reservationId,
    "failure",
    limitPolicy(ctx),
    ctx.now(),
  );
  const context = eventContext(details.context);
  emit(ctx, {
    type: "mfa.failed",
    userId,
    reason: details.reason,
    attemptsLeft: settled.attemptsLeft,
    context,
    ...(details.factorId !== undefined ? { factorId: details.factorId } : {}),
    ...(details.method !== undefined ? { method: details.method } : {}),
  });
  if (settled.lockedForMs === undefined)
    return { locked: false, attemptsLeft: settled.attemptsLeft };
  emit(ctx, {
    type: "mfa.locked",
    userId,
    retryAfterMs: settled.lockedForMs,
    level: settled.lockLevel ?? 1,
    context,
  });
  return { locked: true, retryAfterMs: settled.lockedForMs };
}

/** Records a successful check: the failure count and lock level start over. */
export async function recordSuccess(
  ctx: KitContext,
  userId: string,
  gate: { reservationId: string },
): Promise<void> {
  await ctx.store.settleAttempt(userId, gate.reservationId, "success", limitPolicy(ctx), ctx.now());
}
