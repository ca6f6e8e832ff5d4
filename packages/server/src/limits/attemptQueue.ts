// The per-user attempt queue: verifications of one user take turns on an instance (`serialize`),
// a lock the store reported is remembered until it ends (`knownLock`), and each attempt is decided
// by one store call, retried from a fresh read while the user's factors change under it
// (`runAttempt`). The failure policy itself (window, locks) is the store's: see `MfaStore`.
import { emit, eventContext, type KitContext } from "../context";
import type { VerifyContext } from "../events/types";
import { cachedFactors, loadFactors, updateCachedFactors } from "../factors/factorCache";
import { type CheckFailure, worstFailure } from "../factors/outcome";
import type {
  AttemptResult,
  CredentialCheck,
  LimitPolicy,
  SuccessSteps,
  UserFactors,
} from "../stores/types";

/** How many locks an instance remembers. */
export const MAX_LOCKS = 10_000;
/** How many times an attempt is recomputed from a fresh read when the store says `stale`. */
const MAX_TRIES = 4;
/** Suggested wait when the user's factors kept changing under an attempt (`factors_changed`). */
const BUSY_RETRY_MS = 1_000;

/** The store's limiter policy from the kit's `limits` option. */
const limitPolicy = (ctx: KitContext): LimitPolicy => ctx.options.limits;

/**
 * Runs `task` once every earlier task of the same user on this instance has finished: concurrent
 * verifications of one user take turns. With the lock the store reports remembered in between
 * ({@link knownLock}), 100 concurrent guesses on one instance compute at most `maxFailures` of
 * them; the store's atomic `verifyAttempt` keeps the count exact across instances. A user without
 * a task in progress costs a map lookup, no promise.
 */
export async function serialize<T>(
  ctx: KitContext,
  userId: string,
  task: () => Promise<T>,
): Promise<T> {
  const waiting = ctx.queues.get(userId);
  if (waiting === undefined) ctx.queues.set(userId, []);
  else await new Promise<void>((resolve) => waiting.push(resolve));
  try {
    return await task();
  } finally {
    const next = ctx.queues.get(userId)?.shift();
    if (next) next();
    else ctx.queues.delete(userId);
  }
}

/**
 * Milliseconds left of a lock the store reported for this user, 0 when none. Exact, not a guess:
 * a lock only ends when its time is up (no success can happen during one), so an attempt refused
 * here would have been refused by the store.
 */
function knownLock(ctx: KitContext, userId: string, now: number): number {
  const until = ctx.locks.get(userId);
  if (until === undefined) return 0;
  if (until > now) return until - now;
  ctx.locks.delete(userId);
  return 0;
}

function rememberLock(ctx: KitContext, userId: string, until: number): void {
  ctx.locks.set(userId, until);
}

/** The checks of one attempt, computed from a snapshot of the user's factors. */
export interface AttemptPlan {
  checks: CredentialCheck[];
}

/** A refused attempt, as `verify` answers it. */
export type AttemptRefusal =
  | { ok: false; reason: "locked" | "factors_changed"; retryAfterMs: number }
  | { ok: false; reason: "suspended" }
  | { ok: false; reason: CheckFailure; attemptsLeft: number }
  | { ok: false; reason: "factor_not_found" };

/** A successful attempt: the store's answer, the check that passed, and when. */
export interface AttemptSuccess {
  ok: true;
  result: Extract<AttemptResult, { ok: true }>;
  check: CredentialCheck;
  now: number;
}

/**
 * One verification attempt, start to finish: the lock this instance knows of, the user's factors
 * (the snapshot, or a fresh read), the checks `plan` computes from them, and ONE store call,
 * `verifyAttempt`, that decides everything else atomically. A `stale` answer (the factors changed
 * since the snapshot) or a `plan` that finds nothing to check in a snapshot is retried from a
 * fresh read. Failures emit `mfa.failed` (and `mfa.locked`); the caller handles a success.
 */
export async function runAttempt(
  ctx: KitContext,
  userId: string,
  plan: (user: UserFactors, now: number, cached: boolean) => Promise<AttemptPlan | null>,
  options: {
    success?: (now: number) => SuccessSteps;
    factorId?: string;
    context?: VerifyContext;
  } = {},
): Promise<AttemptSuccess | AttemptRefusal> {
  const locked = knownLock(ctx, userId, ctx.now());
  if (locked > 0) return { ok: false, reason: "locked", retryAfterMs: locked };
  let fresh = false;
  for (let tries = 0; tries < MAX_TRIES; tries++) {
    const { value: user, cached } = fresh
      ? { value: await loadFactors(ctx, userId), cached: false }
      : await cachedFactors(ctx, userId);
    const now = ctx.now();
    const planned = await plan(user, now, cached);
    if (!planned) {
      if (!cached) return { ok: false, reason: "factor_not_found" };
      fresh = true;
      continue;
    }
    const result = await ctx.store.verifyAttempt(
      userId,
      {
        rev: user.rev,
        checks: planned.checks,
        policy: limitPolicy(ctx),
        ...(options.success ? { success: options.success(now) } : {}),
      },
      now,
    );
    if (result.ok) {
      const check = planned.checks[result.check]!;
      updateCachedFactors(ctx, userId, user, check, result.backupCodesRemaining);
      return { ok: true, result, check, now };
    }
    if (result.reason === "stale") {
      fresh = true;
      continue;
    }
    if (result.reason === "locked") {
      rememberLock(ctx, userId, now + result.retryAfterMs);
      return { ok: false, reason: "locked", retryAfterMs: result.retryAfterMs };
    }
    if (result.reason === "suspended") return { ok: false, reason: "suspended" };
    const reason = worstFailure(result.failures);
    const context = ctx.events.enabled ? eventContext(options.context) : {};
    emit(ctx, {
      type: "mfa.failed",
      userId,
      reason,
      attemptsLeft: result.attemptsLeft,
      context,
      ...(options.factorId !== undefined ? { factorId: options.factorId } : {}),
    });
    if (result.suspended) {
      emit(ctx, {
        type: "limit.suspended",
        userId,
        notify: "user",
        maxConsecutiveFailures: ctx.options.limits.maxConsecutiveFailures,
        context,
      });
    }
    if (result.lockedForMs === undefined) {
      return { ok: false, reason, attemptsLeft: result.attemptsLeft };
    }
    rememberLock(ctx, userId, now + result.lockedForMs);
    emit(ctx, {
      type: "mfa.locked",
      userId,
      retryAfterMs: result.lockedForMs,
      level: result.lockLevel ?? 1,
      context,
    });
    return { ok: false, reason: "locked", retryAfterMs: result.lockedForMs };
  }
  // The user's factors changed under every try: nothing was checked, nothing counted.
  return { ok: false, reason: "factors_changed", retryAfterMs: BUSY_RETRY_MS };
}
