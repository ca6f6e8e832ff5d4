import { timingSafeEqual } from "../crypto/timingSafeEqual";
import { memoryOutbox } from "../webhooks/memoryOutbox";
import type { WebhookOutbox } from "../webhooks/types";
import { SessionTable } from "./sessionTable";
import { markSyncSessions } from "./syncSessions";
import type {
  AttemptFailure,
  AttemptResult,
  BackupCodeSet,
  CredentialCheck,
  FactorRecord,
  LimitPolicy,
  MfaStore,
  SessionScope,
  StoredCode,
  StoredSession,
  UserFactors,
} from "./types";

/** A value and the epoch milliseconds at which it dies. */
interface Expiring {
  value: string;
  until: number;
}

interface LimiterState {
  failures: number[];
  lockedUntil: number;
  level: number;
  levelUntil: number;
  windowMs: number;
  /** Failures since the last success, remembered until `streakUntil`. */
  streak: number;
  streakUntil: number;
  /** Whether the streak reached `maxConsecutiveFailures`: code factors are suspended. */
  suspended: boolean;
}

interface CodeState extends StoredCode {
  used: boolean;
  until: number;
}

/** Everything a {@link memoryStore} holds, as plain data (for inspection in tests and audits). */
export interface MemoryStoreDump {
  factors: Record<string, Record<string, FactorRecord>>;
  revs: Record<string, string>;
  backupCodes: Record<string, BackupCodeSet>;
  limiter: Record<
    string,
    { failures: number[]; lockedUntil: number; level: number; streak: number; suspended: boolean }
  >;
  throttles: Record<string, number[]>;
  codes: Record<string, StoredCode & { used: boolean }>;
  challenges: Record<string, string>;
  sessions: Record<string, StoredSession>;
  markers: Record<string, string>;
}

/**
 * One user's whole verification state as plain data, deadlines included (everything
 * {@link MfaStore.verifyAttempt} reads or writes, sessions aside). A store that keeps its data
 * elsewhere (PostgreSQL) loads it under a lock, lets {@link userScratchStore} decide the attempt with
 * the memory store's own code, and writes back what changed.
 */
export interface UserState {
  rev: string;
  factors: Record<string, FactorRecord>;
  backupCodes: BackupCodeSet | null;
  limiter: {
    failures: number[];
    lockedUntil: number;
    level: number;
    levelUntil: number;
    /** Failures since the last success (see `LimitPolicy.maxConsecutiveFailures`). */
    streak: number;
    streakUntil: number;
    suspended: boolean;
  } | null;
  /** The live one-time code of each factor, by factor id. */
  codes: Record<string, StoredCode & { used: boolean; until: number }>;
  challenges: Record<string, Expiring>;
  markers: Record<string, Expiring>;
  /** The user's throttles (see `MfaStore.throttle`), by key: event times and when they are dead. */
  throttles?: Record<string, { events: number[]; until: number }>;
  /** Sessions of the user, by token hash (exported only). */
  sessions: Record<string, StoredSession>;
}

/** A memory store holding one user's state, to run the verification decision on. */
export interface UserScratchStore extends MfaStore {
  /** The user's state as it is now. */
  exportUser(): UserState;
}

/**
 * A throw-away {@link memoryStore} loaded with one user's `state`: the PostgreSQL store runs every
 * verification decision through it, so the policy (window, locks, replay guard, markers, session)
 * is the memory store's code, not a copy.
 */
export function userScratchStore(
  userId: string,
  state: Omit<UserState, "sessions">,
): UserScratchStore {
  const store = createMemoryStore();
  store.importUser(userId, state);
  return {
    ...store,
    exportUser: () => store.exportUser(userId),
  };
}

/** The in-memory {@link MfaStore} with its webhook outbox, plus inspection helpers. */
export interface MemoryStore extends MfaStore, WebhookOutbox {
  /** A deep copy of everything stored, expired entries included until swept. */
  dump(): MemoryStoreDump;
  /** Forgets everything. */
  clear(): void;
}

const SWEEP_EVERY = 1024;
const bytes = new TextEncoder();
const STALE: AttemptResult = Object.freeze({ ok: false, reason: "stale" });
const SUSPENDED: AttemptResult = Object.freeze({ ok: false, reason: "suspended" });

/** A frozen copy of a session: the store hands this one object to every reader. */
const frozenSession = (s: StoredSession): StoredSession =>
  Object.freeze({
    userId: s.userId,
    acr: s.acr,
    amr: Object.freeze([...s.amr]) as string[],
    authTime: s.authTime,
    expiresAt: s.expiresAt,
    ...(s.factorId !== undefined ? { factorId: s.factorId } : {}),
  });

/**
 * An {@link MfaStore} in process memory: the default, right for one server instance, tests and the
 * browser (the demo's MSW worker). Every method runs synchronously to completion before it
 * resolves, so each one is atomic under any interleaving of concurrent calls. Sessions are kept as
 * frozen records, so the session check hands out the stored record itself: no parsing, no copy.
 * Expired entries are ignored at once and swept after as many writes as there are entries (at
 * least 1024). Use a shared store (Redis) for more than one instance.
 */
export function memoryStore(): MemoryStore {
  const { importUser: _i, exportUser: _e, ...store } = createMemoryStore();
  return store;
}

interface StateAccess {
  importUser(userId: string, state: Omit<UserState, "sessions">): void;
  exportUser(userId: string): UserState;
}

function createMemoryStore(): MemoryStore & StateAccess {
  const factors = new Map<string, Map<string, FactorRecord>>();
  const revs = new Map<string, string>();
  const backup = new Map<string, { salt: string; hashes: Set<string> }>();
  const limiter = new Map<string, LimiterState>();
  const codes = new Map<string, CodeState>();
  const challenges = new Map<string, Expiring>();
  const sessions = new SessionTable<StoredSession>();
  const userSessions = new Map<string, Set<string>>();
  const markers = new Map<string, Expiring>();
  const throttles = new Map<string, { events: number[]; until: number }>();
  let writes = 0;
  let lastNow = 0;
  let revision = 0;

  const key = (userId: string, name: string) => `${userId}\n${name}`;
  const rev = (userId: string) => revs.get(userId) ?? "0";
  // "0" exactly while the user has no factor and no backup codes; else a value never used before.
  const bump = (userId: string) => {
    if (factors.has(userId) || backup.has(userId)) revs.set(userId, String(++revision));
    else revs.delete(userId);
  };

  // Amortised O(1): a full sweep after as many writes as there are entries (at least 1024).
  const sweep = (now: number) => {
    lastNow = Math.max(lastNow, now);
    const size =
      challenges.size + markers.size + codes.size + sessions.size + limiter.size + throttles.size;
    if (++writes < Math.max(SWEEP_EVERY, size)) return;
    writes = 0;
    for (const [k, v] of challenges) if (v.until <= lastNow) challenges.delete(k);
    for (const [k, v] of markers) if (v.until <= lastNow) markers.delete(k);
    for (const [k, v] of codes) if (v.until <= lastNow) codes.delete(k);
    for (const [k, v] of throttles) if (v.until <= lastNow) throttles.delete(k);
    const dead: [string, StoredSession][] = [];
    for (const entry of sessions) if (entry[1].expiresAt <= lastNow) dead.push(entry);
    for (const [k, v] of dead) dropSession(k, v.userId);
    for (const [k, v] of limiter) {
      prune(v, lastNow, v.windowMs);
      if (idle(v, lastNow)) limiter.delete(k);
    }
  };

  const dropSession = (tokenHash: string, userId: string) => {
    sessions.delete(tokenHash);
    const set = userSessions.get(userId);
    set?.delete(tokenHash);
    if (set?.size === 0) userSessions.delete(userId);
  };

  const live = (map: Map<string, Expiring>, k: string, now: number): Expiring | undefined => {
    const entry = map.get(k);
    if (entry && entry.until <= now) {
      map.delete(k);
      return undefined;
    }
    return entry;
  };

  const take = (userId: string, name: string, now: number): string | null => {
    const k = key(userId, name);
    const entry = live(challenges, k, now);
    challenges.delete(k);
    return entry?.value ?? null;
  };

  const swapMarker = (userId: string, name: string, value: string, ttlMs: number, now: number) => {
    const k = key(userId, name);
    const previous = live(markers, k, now)?.value ?? null;
    markers.set(k, { value, until: now + ttlMs });
    return previous;
  };

  const prune = (st: LimiterState, now: number, windowMs: number) => {
    if (st.failures.length > 0) st.failures = st.failures.filter((t) => t > now - windowMs);
    if (st.lockedUntil <= now) st.lockedUntil = 0;
    if (st.level > 0 && st.levelUntil <= now) st.level = 0;
    if (st.streak > 0 && st.streakUntil <= now) {
      st.streak = 0;
      st.suspended = false;
    }
  };
  const idle = (st: LimiterState, now: number) =>
    st.failures.length === 0 && st.lockedUntil <= now && st.level === 0 && st.streak === 0;

  const limiterState = (userId: string, policy: LimitPolicy, now: number): LimiterState => {
    let st = limiter.get(userId);
    if (!st) {
      st = {
        failures: [],
        lockedUntil: 0,
        level: 0,
        levelUntil: 0,
        windowMs: policy.windowMs,
        streak: 0,
        streakUntil: 0,
        suspended: false,
      };
      limiter.set(userId, st);
    }
    st.windowMs = policy.windowMs;
    prune(st, now, policy.windowMs);
    return st;
  };

  /** Moves a numeric field up to `value`; `false` when it is not greater than the current one. */
  const advance = (record: FactorRecord, field: string, value: number): boolean => {
    if (!Number.isFinite(value)) return false;
    const current = record[field];
    if (current !== undefined && !(value > Number(current))) return false;
    record[field] = String(value);
    return true;
  };

  const consumeCode = (
    userId: string,
    factorId: string,
    check: Extract<CredentialCheck, { kind: "code" }>,
    now: number,
  ): "pass" | AttemptFailure => {
    const k = key(userId, factorId);
    const state = codes.get(k);
    if (!state || state.until <= now) {
      if (state) codes.delete(k);
      return check.missing;
    }
    if (check.challengeId !== undefined && check.challengeId !== state.challengeId) {
      return check.missing;
    }
    if (now >= state.expiresAt) return "code_expired";
    if (!timingSafeEqual(bytes.encode(check.hash), bytes.encode(state.hash))) {
      return "invalid_code";
    }
    if (state.used) return "code_reused";
    state.used = true;
    return "pass";
  };

  /** Whether an unused, unexpired code is out for a sent-code check's factor (and its challenge). */
  const outstanding = (
    userId: string,
    check: Extract<CredentialCheck, { kind: "code" }>,
    now: number,
  ): boolean => {
    if (check.factorId === undefined) return false;
    const state = codes.get(key(userId, check.factorId));
    if (!state || state.until <= now || state.used || now >= state.expiresAt) return false;
    return check.challengeId === undefined || check.challengeId === state.challengeId;
  };

  /** Runs one check (after validation): `pass`, or why it failed. */
  const runCheck = (
    userId: string,
    check: CredentialCheck,
    record: FactorRecord | undefined,
    now: number,
  ): "pass" | AttemptFailure => {
    if (check.challenge !== undefined && take(userId, check.challenge, now) === null) {
      return "code_expired";
    }
    switch (check.kind) {
      case "counter":
        return record && advance(record, check.field, check.value) ? "pass" : "code_reused";
      case "match":
        return "pass";
      case "code":
        return check.factorId === undefined
          ? check.missing
          : consumeCode(userId, check.factorId, check, now);
      case "backupCode":
        return backup.get(userId)?.hashes.delete(check.hash) ? "pass" : "invalid_code";
      case "resync": {
        const pending = take(userId, check.key, now);
        const next = Number(pending) + 1;
        if (pending !== null && Number.isSafeInteger(next) && check.matches.includes(next)) {
          return record && advance(record, check.field, next + 1) ? "pass" : "code_reused";
        }
        if (check.candidate === undefined) return check.failure;
        challenges.set(key(userId, check.key), {
          value: String(check.candidate),
          until: now + check.ttlMs,
        });
        return "resync_required";
      }
      default:
        return check.failure;
    }
  };

  /** Whether a record is pending and expired (a missing or malformed deadline is expired). */
  const expiredPending = (record: FactorRecord, now: number) => {
    if (record.status !== "pending") return false;
    const until = Number(record.pendingUntil);
    return !(record.pendingUntil && Number.isFinite(until) && until > now);
  };

  /** Deletes the user's expired pending records; `true` when there was one. */
  const purgePending = (userId: string, now: number): boolean => {
    const user = factors.get(userId);
    if (!user) return false;
    let purged = false;
    for (const [id, record] of user) {
      if (expiredPending(record, now)) {
        user.delete(id);
        purged = true;
      }
    }
    if (user.size === 0) factors.delete(userId);
    return purged;
  };

  /** Whether a session is selected by a revocation scope. */
  const inScope = (tokenHash: string, session: StoredSession, scope: SessionScope | undefined) => {
    if (scope?.except !== undefined && tokenHash === scope.except) return false;
    const byFactor = scope?.factorId !== undefined;
    const byBackup = scope?.backupCode === true;
    if (!byFactor && !byBackup) return true;
    return (
      (byFactor && session.factorId === scope.factorId) ||
      (byBackup && session.factorId === undefined)
    );
  };

  const putSession = (tokenHash: string, session: StoredSession) => {
    sessions.set(tokenHash, frozenSession(session));
    let set = userSessions.get(session.userId);
    if (!set) {
      set = new Set();
      userSessions.set(session.userId, set);
    }
    set.add(tokenHash);
  };

  // Webhook deliveries wait here: they survive a receiver's outage, not a restart of the process.
  const outbox = memoryOutbox();
  const store: MemoryStore & StateAccess = {
    outboxAdd: outbox.outboxAdd,
    outboxClaim: outbox.outboxClaim,
    outboxDone: outbox.outboxDone,
    outboxRetry: outbox.outboxRetry,

    async loadFactors(userId): Promise<UserFactors> {
      const out: Record<string, FactorRecord> = {};
      for (const [id, record] of factors.get(userId) ?? []) out[id] = { ...record };
      const set = backup.get(userId);
      return {
        rev: rev(userId),
        factors: out,
        backupCodes: set ? { salt: set.salt, remaining: set.hashes.size } : null,
      };
    },
    async createFactor(userId, factorId, fields) {
      let user = factors.get(userId);
      if (user?.has(factorId)) return false;
      if (!user) {
        user = new Map();
        factors.set(userId, user);
      }
      user.set(factorId, { ...fields });
      bump(userId);
      return true;
    },
    async createPendingFactor(userId, factorId, fields, limit, now) {
      if (factors.get(userId)?.has(factorId)) return false;
      purgePending(userId, now);
      let user = factors.get(userId);
      if (!user) {
        user = new Map();
        factors.set(userId, user);
      }
      const pending = [...user].filter(([, r]) => r.status === "pending");
      pending.sort(
        ([a, x], [b, y]) => Number(x.pendingUntil) - Number(y.pendingUntil) || (a < b ? -1 : 1),
      );
      for (let i = 0; i <= pending.length - limit.maxPending; i++) user.delete(pending[i]![0]);
      user.set(factorId, { ...fields });
      bump(userId);
      return true;
    },
    async activateFactor(userId, factorId, activation, now) {
      const user = factors.get(userId);
      const record = user?.get(factorId);
      if (!user || !record) return "not_found";
      if (record.status === "active") return "active";
      if (expiredPending(record, now)) {
        user.delete(factorId);
        if (user.size === 0) factors.delete(userId);
        bump(userId);
        return "expired";
      }
      if (!activation.stepUp) {
        for (const [id, other] of user) {
          if (id !== factorId && other.status === "active") return "step_up_required";
        }
      }
      record.status = "active";
      delete record.pendingUntil;
      bump(userId);
      return "activated";
    },
    async patchFactor(userId, factorId, fields) {
      const record = factors.get(userId)?.get(factorId);
      if (!record) return false;
      Object.assign(record, fields);
      bump(userId);
      return true;
    },
    async deleteFactor(userId, factorId) {
      const user = factors.get(userId);
      const had = user?.delete(factorId) ?? false;
      if (user?.size === 0) factors.delete(userId);
      if (had) bump(userId);
      return had;
    },

    async setBackupCodes(userId, set, options) {
      if (options?.ifAbsent && backup.has(userId)) return false;
      if (set.hashes.length === 0) backup.delete(userId);
      else backup.set(userId, { salt: set.salt, hashes: new Set(set.hashes) });
      bump(userId);
      return true;
    },

    async verifyAttempt(userId, attempt, now): Promise<AttemptResult> {
      const { checks, policy, success } = attempt;
      // 1. Validate what the checks were computed from; nothing is written when it moved on.
      if (rev(userId) !== attempt.rev) return STALE;
      const user = factors.get(userId);
      for (const check of checks) {
        if (check.factorId === undefined) continue;
        const record = user?.get(check.factorId);
        if (!record) return STALE;
        for (const field in check.expect) {
          if ((record[field] ?? "") !== check.expect[field]) return STALE;
        }
      }
      // 2. A suspension of code factors, 3. the lock.
      sweep(now);
      const held = limiter.get(userId);
      if (held) prune(held, now, policy.windowMs);
      if (held?.suspended && checks.some((c) => c.guessable)) return SUSPENDED;
      if (held && held.lockedUntil > now) {
        return { ok: false, reason: "locked", retryAfterMs: held.lockedUntil - now };
      }
      // 4. The checks, until one passes: no more than the budget left before the lock (and the
      // suspension), since every factor a code is checked against counts as one failure.
      const failures: AttemptFailure[] = [];
      let passed = -1;
      const budget = Math.max(
        1,
        Math.min(
          policy.maxFailures - (held?.failures.length ?? 0),
          held?.suspended ? checks.length : policy.maxConsecutiveFailures - (held?.streak ?? 0),
        ),
      );
      // A sent-code factor with no code out for it could not match: among several candidates it
      // is no guess, so it is passed over without a failure (or any of the budget).
      let absent: AttemptFailure | undefined;
      for (let i = 0; i < checks.length && failures.length < budget; i++) {
        const check = checks[i]!;
        if (checks.length > 1 && check.kind === "code" && !outstanding(userId, check, now)) {
          absent ??= check.missing;
          continue;
        }
        const record = check.factorId === undefined ? undefined : user?.get(check.factorId);
        const outcome = runCheck(userId, check, record, now);
        if (outcome === "pass") {
          if (record && check.patch) Object.assign(record, check.patch);
          passed = i;
          break;
        }
        failures.push(outcome);
      }
      if (passed < 0 && failures.length === 0 && absent) failures.push(absent);
      // 5. The limiter: one failure per failed check.
      if (passed < 0) {
        const st = held ?? limiterState(userId, policy, now);
        st.windowMs = policy.windowMs;
        const count = Math.max(1, failures.length);
        for (let i = 0; i < count; i++) st.failures.push(now);
        st.streak += count;
        st.streakUntil = now + policy.consecutiveTtlMs;
        let suspended: true | undefined;
        if (!st.suspended && st.streak >= policy.maxConsecutiveFailures) {
          st.suspended = true;
          suspended = true;
        }
        if (st.failures.length < policy.maxFailures) {
          return {
            ok: false,
            reason: "failed",
            failures,
            attemptsLeft: policy.maxFailures - st.failures.length,
            ...(suspended ? { suspended } : {}),
          };
        }
        st.level += 1;
        const schedule = policy.lockoutsMs;
        const lockedForMs = schedule[Math.min(st.level, schedule.length) - 1] ?? 0;
        st.lockedUntil = now + lockedForMs;
        st.levelUntil = st.lockedUntil + policy.levelTtlMs;
        st.failures = [];
        return {
          ok: false,
          reason: "failed",
          failures,
          attemptsLeft: 0,
          lockedForMs,
          lockLevel: st.level,
          ...(suspended ? { suspended } : {}),
        };
      }
      if (held) limiter.delete(userId);
      // 6. What a success also does.
      const check = checks[passed]!;
      const result: Extract<AttemptResult, { ok: true }> = {
        ok: true,
        check: passed,
        previous: [],
      };
      if (check.kind === "backupCode") {
        result.backupCodesRemaining = backup.get(userId)?.hashes.size ?? 0;
      }
      if (success?.hold) {
        const current = live(markers, key(userId, success.hold.key), now)?.value;
        if (current !== undefined && current !== success.hold.value) {
          result.held = current;
          return result;
        }
      }
      for (const m of success?.swap ?? []) {
        result.previous.push(swapMarker(userId, m.key, m.value, m.ttlMs, now));
      }
      if (success?.session) {
        putSession(success.session.tokenHash, {
          userId,
          acr: check.acr,
          amr: check.amr,
          authTime: now,
          expiresAt: success.session.expiresAt,
          ...(check.factorId !== undefined ? { factorId: check.factorId } : {}),
        });
      }
      return result;
    },
    async lockedFor(userId, now) {
      const until = limiter.get(userId)?.lockedUntil ?? 0;
      return until > now ? until - now : 0;
    },

    async unlock(userId, now) {
      const st = limiter.get(userId);
      if (!st) return false;
      prune(st, now, st.windowMs);
      const was = st.lockedUntil > now || st.suspended;
      limiter.delete(userId);
      return was;
    },

    async throttle(userId, name, limit, now) {
      sweep(now);
      const k = key(userId, name);
      const entry = throttles.get(k);
      const events = (entry?.events ?? []).filter((t) => t > now - limit.windowMs);
      const last = events[events.length - 1];
      let wait = 0;
      if (last !== undefined && now - last < limit.intervalMs) wait = last + limit.intervalMs - now;
      if (events.length >= limit.max) {
        wait = Math.max(wait, events[events.length - limit.max]! + limit.windowMs - now);
      }
      if (wait > 0) {
        if (entry) entry.events = events;
        return Math.max(1, Math.ceil(wait));
      }
      events.push(now);
      throttles.set(k, { events, until: now + Math.max(limit.windowMs, limit.intervalMs) });
      return 0;
    },

    async putCode(userId, factorId, code, ttlMs, now) {
      sweep(now);
      codes.set(key(userId, factorId), {
        challengeId: code.challengeId,
        hash: code.hash,
        expiresAt: code.expiresAt,
        used: false,
        until: now + ttlMs,
      });
    },

    async putChallenge(userId, name, value, ttlMs, now) {
      sweep(now);
      challenges.set(key(userId, name), { value, until: now + ttlMs });
    },
    async takeChallenge(userId, name, now) {
      return take(userId, name, now);
    },

    async createSession(tokenHash, session, now) {
      sweep(now);
      putSession(tokenHash, session);
    },
    getSession(tokenHash, now) {
      const session = sessions.getLive(tokenHash, now);
      if (session) return session;
      // There but expired: dropped now (its user's index needs the record, one more lookup).
      if (session === null)
        dropSession(tokenHash, (sessions.get(tokenHash) as StoredSession).userId);
      return null;
    },
    async touchSession(tokenHash, expiresAt, now) {
      const session = sessions.get(tokenHash);
      if (!session) return null;
      if (session.expiresAt <= now) {
        dropSession(tokenHash, session.userId);
        return null;
      }
      const touched = frozenSession({ ...session, expiresAt });
      sessions.set(tokenHash, touched);
      return touched;
    },
    async revokeSession(tokenHash, now) {
      const session = sessions.get(tokenHash);
      if (!session) return false;
      dropSession(tokenHash, session.userId);
      return session.expiresAt > now;
    },
    async revokeUserSessions(userId, now, scope) {
      let count = 0;
      for (const tokenHash of [...(userSessions.get(userId) ?? [])]) {
        const session = sessions.get(tokenHash);
        if (session && !inScope(tokenHash, session, scope)) continue;
        if (session && session.expiresAt > now) count++;
        dropSession(tokenHash, userId);
      }
      return count;
    },

    async claim(userId, name, ttlMs, now) {
      sweep(now);
      const k = key(userId, name);
      if (live(markers, k, now)) return false;
      markers.set(k, { value: "1", until: now + ttlMs });
      return true;
    },
    async swap(userId, name, value, ttlMs, now) {
      sweep(now);
      return swapMarker(userId, name, value, ttlMs, now);
    },
    async peek(userId, name, now) {
      return live(markers, key(userId, name), now)?.value ?? null;
    },

    dump(): MemoryStoreDump {
      const obj = <V, O>(map: Iterable<[string, V]>, f: (v: V) => O) =>
        Object.fromEntries([...map].map(([k, v]) => [k, f(v)]));
      return {
        factors: obj(factors, (user) => obj(user, (r) => ({ ...r }))),
        revs: obj(revs, (r) => r),
        backupCodes: obj(backup, (s) => ({ salt: s.salt, hashes: [...s.hashes] })),
        limiter: obj(limiter, (s) => ({
          failures: [...s.failures],
          lockedUntil: s.lockedUntil,
          level: s.level,
          streak: s.streak,
          suspended: s.suspended,
        })),
        throttles: obj(throttles, (t) => [...t.events]),
        codes: obj(codes, (c) => ({
          challengeId: c.challengeId,
          hash: c.hash,
          expiresAt: c.expiresAt,
          used: c.used,
        })),
        challenges: obj(challenges, (c) => c.value),
        sessions: obj(sessions, (s) => ({ ...s, amr: [...s.amr] })),
        markers: obj(markers, (m) => m.value),
      };
    },
    importUser(userId, state) {
      if (state.rev !== "0") revs.set(userId, state.rev);
      if (Object.keys(state.factors).length > 0) {
        factors.set(
          userId,
          new Map(Object.entries(state.factors).map(([id, r]) => [id, { ...r }])),
        );
      }
      if (state.backupCodes) {
        backup.set(userId, {
          salt: state.backupCodes.salt,
          hashes: new Set(state.backupCodes.hashes),
        });
      }
      if (state.limiter) {
        limiter.set(userId, {
          ...state.limiter,
          failures: [...state.limiter.failures],
          windowMs: 0,
        });
      }
      for (const [id, c] of Object.entries(state.codes)) codes.set(key(userId, id), { ...c });
      for (const [k, c] of Object.entries(state.challenges))
        challenges.set(key(userId, k), { ...c });
      for (const [k, m] of Object.entries(state.markers)) markers.set(key(userId, k), { ...m });
      for (const [k, t] of Object.entries(state.throttles ?? {})) {
        throttles.set(key(userId, k), { events: [...t.events], until: t.until });
      }
    },
    exportUser(userId) {
      const own = <V, O>(map: Map<string, V>, f: (v: V) => O) => {
        const prefix = key(userId, "");
        const out: Record<string, O> = {};
        for (const [k, v] of map) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = f(v);
        return out;
      };
      const set = backup.get(userId);
      const st = limiter.get(userId);
      const sessionsOf: Record<string, StoredSession> = {};
      for (const tokenHash of userSessions.get(userId) ?? []) {
        const s = sessions.get(tokenHash);
        if (s) sessionsOf[tokenHash] = { ...s, amr: [...s.amr] };
      }
      return {
        rev: rev(userId),
        factors: Object.fromEntries(
          [...(factors.get(userId) ?? [])].map(([id, r]) => [id, { ...r }]),
        ),
        backupCodes: set ? { salt: set.salt, hashes: [...set.hashes] } : null,
        limiter: st
          ? {
              failures: [...st.failures],
              lockedUntil: st.lockedUntil,
              level: st.level,
              levelUntil: st.levelUntil,
              streak: st.streak,
              streakUntil: st.streakUntil,
              suspended: st.suspended,
            }
          : null,
        codes: own(codes, (c) => ({ ...c })),
        challenges: own(challenges, (c) => ({ ...c })),
        markers: own(markers, (m) => ({ ...m })),
        throttles: own(throttles, (t) => ({ events: [...t.events], until: t.until })),
        sessions: sessionsOf,
      };
    },
    clear() {
      for (const map of [factors, revs, backup, limiter, codes, challenges]) map.clear();
      sessions.clear();
      throttles.clear();
      outbox.clear();
      userSessions.clear();
      markers.clear();
    },
  };
  markSyncSessions(store.getSession);
  return store;
}
