import { timingSafeEqual } from "../crypto/timingSafeEqual";
import type {
  AttemptReservation,
  AttemptSettlement,
  BackupCodeSet,
  CodeConsumption,
  FactorRecord,
  LimitPolicy,
  MfaStore,
  StoredCode,
  StoredSession,
} from "./types";

interface Expiring {
  value: string;
  until: number;
}

interface LimiterState {
  failures: number[];
  inflight: Map<string, number>;
  lockedUntil: number;
  level: number;
  levelUntil: number;
  windowMs: number;
}

interface CodeState extends StoredCode {
  used: boolean;
  until: number;
}

/** Everything a {@link memoryStore} holds, as plain data (for inspection in tests and audits). */
export interface MemoryStoreDump {
  factors: Record<string, Record<string, FactorRecord>>;
  backupCodes: Record<string, BackupCodeSet>;
  limiter: Record<string, { failures: number[]; lockedUntil: number; level: number }>;
  codes: Record<string, StoredCode & { used: boolean }>;
  challenges: Record<string, string>;
  sessions: Record<string, StoredSession>;
  markers: Record<string, string>;
}

/** The in-memory {@link MfaStore}, plus inspection helpers. */
export interface MemoryStore extends MfaStore {
  /** A deep copy of everything stored, expired entries included until swept. */
  dump(): MemoryStoreDump;
  /** Forgets everything. */
  clear(): void;
}

const SWEEP_EVERY = 1024;
const bytes = new TextEncoder();

/**
 * An {@link MfaStore} in process memory: the default, right for one server instance, tests and the
 * browser (the demo's MSW worker). Every method runs synchronously to completion before it
 * resolves, so each one is atomic under any interleaving of concurrent calls. Expired entries are
 * ignored at once and swept after as many writes as there are entries (at least 1024). Use a shared store (Redis) for more than one
 * instance.
 */
export function memoryStore(): MemoryStore {
  const factors = new Map<string, Map<string, FactorRecord>>();
  const backup = new Map<string, { salt: string; hashes: Set<string> }>();
  const limiter = new Map<string, LimiterState>();
  const codes = new Map<string, CodeState>();
  const challenges = new Map<string, Expiring>();
  const sessions = new Map<string, StoredSession>();
  const userSessions = new Map<string, Set<string>>();
  const markers = new Map<string, Expiring>();
  let writes = 0;
  let lastNow = 0;

  const key = (userId: string, name: string) => `${userId}\n${name}`;

  // Amortised O(1): a full sweep after as many writes as there are entries (at least 1024).
  const sweep = (now: number) => {
    lastNow = Math.max(lastNow, now);
    const size = challenges.size + markers.size + codes.size + sessions.size + limiter.size;
    if (++writes < Math.max(SWEEP_EVERY, size)) return;
    writes = 0;
    for (const [k, v] of challenges) if (v.until <= lastNow) challenges.delete(k);
    for (const [k, v] of markers) if (v.until <= lastNow) markers.delete(k);
    for (const [k, v] of codes) if (v.until <= lastNow) codes.delete(k);
    for (const [k, v] of sessions) if (v.expiresAt <= lastNow) dropSession(k, v.userId);
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

  const prune = (st: LimiterState, now: number, windowMs: number) => {
    if (st.failures.length > 0) st.failures = st.failures.filter((t) => t > now - windowMs);
    for (const [id, until] of st.inflight) if (until <= now) st.inflight.delete(id);
    if (st.lockedUntil <= now) st.lockedUntil = 0;
    if (st.level > 0 && st.levelUntil <= now) st.level = 0;
  };
  const idle = (st: LimiterState, now: number) =>
    st.failures.length === 0 && st.inflight.size === 0 && st.lockedUntil <= now && st.level === 0;

  const limiterState = (userId: string, policy: LimitPolicy, now: number): LimiterState => {
    let st = limiter.get(userId);
    if (!st) {
      st = {
        failures: [],
        inflight: new Map(),
        lockedUntil: 0,
        level: 0,
        levelUntil: 0,
        windowMs: policy.windowMs,
      };
      limiter.set(userId, st);
    }
    st.windowMs = policy.windowMs;
    prune(st, now, policy.windowMs);
    return st;
  };

  const store: MemoryStore = {
    async createFactor(userId, factorId, fields) {
      let user = factors.get(userId);
      if (user?.has(factorId)) return false;
      if (!user) {
        user = new Map();
        factors.set(userId, user);
      }
      user.set(factorId, { ...fields });
      return true;
    },
    async getFactor(userId, factorId) {
      const record = factors.get(userId)?.get(factorId);
      return record ? { ...record } : null;
    },
    async listFactors(userId) {
      const out: Record<string, FactorRecord> = {};
      for (const [id, record] of factors.get(userId) ?? []) out[id] = { ...record };
      return out;
    },
    async patchFactor(userId, factorId, fields) {
      const record = factors.get(userId)?.get(factorId);
      if (!record) return false;
      Object.assign(record, fields);
      return true;
    },
    async advanceFactorCounter(userId, factorId, field, value) {
      const record = factors.get(userId)?.get(factorId);
      if (!record || !Number.isFinite(value)) return false;
      const current = record[field];
      if (current !== undefined && !(value > Number(current))) return false;
      record[field] = String(value);
      return true;
    },
    async deleteFactor(userId, factorId) {
      const user = factors.get(userId);
      const had = user?.delete(factorId) ?? false;
      if (user?.size === 0) factors.delete(userId);
      return had;
    },

    async setBackupCodes(userId, set, options) {
      if (options?.ifAbsent && backup.has(userId)) return false;
      if (set.hashes.length === 0) backup.delete(userId);
      else backup.set(userId, { salt: set.salt, hashes: new Set(set.hashes) });
      return true;
    },
    async getBackupCodes(userId) {
      const set = backup.get(userId);
      return set ? { salt: set.salt, remaining: set.hashes.size } : null;
    },
    async consumeBackupCode(userId, hash) {
      return backup.get(userId)?.hashes.delete(hash) ?? false;
    },

    async reserveAttempt(userId, reservationId, policy, now): Promise<AttemptReservation> {
      sweep(now);
      const st = limiterState(userId, policy, now);
      if (st.lockedUntil > now) {
        return { ok: false, reason: "locked", retryAfterMs: st.lockedUntil - now };
      }
      if (st.failures.length + st.inflight.size >= policy.maxFailures) {
        return { ok: false, reason: "busy" };
      }
      st.inflight.set(reservationId, now + policy.leaseMs);
      return { ok: true, attemptsLeft: policy.maxFailures - st.failures.length };
    },
    async settleAttempt(userId, reservationId, outcome, policy, now): Promise<AttemptSettlement> {
      sweep(now);
      const st = limiterState(userId, policy, now);
      st.inflight.delete(reservationId);
      if (outcome === "success") {
        st.failures = [];
        st.level = 0;
        st.lockedUntil = 0;
        if (idle(st, now)) limiter.delete(userId);
        return { attemptsLeft: policy.maxFailures };
      }
      st.failures.push(now);
      if (st.failures.length < policy.maxFailures) {
        return { attemptsLeft: policy.maxFailures - st.failures.length };
      }
      st.level += 1;
      const schedule = policy.lockoutsMs;
      const lockedForMs = schedule[Math.min(st.level, schedule.length) - 1] ?? 0;
      st.lockedUntil = now + lockedForMs;
      st.levelUntil = st.lockedUntil + policy.levelTtlMs;
      st.failures = [];
      return { attemptsLeft: 0, lockedForMs, lockLevel: st.level };
    },
    async lockedFor(userId, now) {
      const until = limiter.get(userId)?.lockedUntil ?? 0;
      return until > now ? until - now : 0;
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
    async consumeCode(userId, factorId, attempt, now): Promise<CodeConsumption> {
      const k = key(userId, factorId);
      const state = codes.get(k);
      if (!state || state.until <= now) {
        if (state) codes.delete(k);
        return "missing";
      }
      if (attempt.challengeId !== undefined && attempt.challengeId !== state.challengeId) {
        return "missing";
      }
      if (now >= state.expiresAt) return "expired";
      const match = timingSafeEqual(bytes.encode(attempt.hash), bytes.encode(state.hash));
      if (!match) return "mismatch";
      if (state.used) return "used";
      state.used = true;
      return "ok";
    },

    async putChallenge(userId, name, value, ttlMs, now) {
      sweep(now);
      challenges.set(key(userId, name), { value, until: now + ttlMs });
    },
    async takeChallenge(userId, name, now) {
      const k = key(userId, name);
      const entry = live(challenges, k, now);
      challenges.delete(k);
      return entry?.value ?? null;
    },

    async createSession(tokenHash, session, now) {
      sweep(now);
      sessions.set(tokenHash, { ...session });
      let set = userSessions.get(session.userId);
      if (!set) {
        set = new Set();
        userSessions.set(session.userId, set);
      }
      set.add(tokenHash);
    },
    async getSession(tokenHash, now) {
      const session = sessions.get(tokenHash);
      if (!session) return null;
      if (session.expiresAt <= now) {
        dropSession(tokenHash, session.userId);
        return null;
      }
      return { userId: session.userId, expiresAt: session.expiresAt, value: session.value };
    },
    async touchSession(tokenHash, expiresAt, now) {
      const session = sessions.get(tokenHash);
      if (!session) return null;
      if (session.expiresAt <= now) {
        dropSession(tokenHash, session.userId);
        return null;
      }
      session.expiresAt = expiresAt;
      return { ...session };
    },
    async revokeSession(tokenHash) {
      const session = sessions.get(tokenHash);
      if (!session) return false;
      dropSession(tokenHash, session.userId);
      return true;
    },
    async revokeUserSessions(userId, now) {
      let count = 0;
      for (const tokenHash of userSessions.get(userId) ?? []) {
        const session = sessions.get(tokenHash);
        if (session && session.expiresAt > now) count++;
        sessions.delete(tokenHash);
      }
      userSessions.delete(userId);
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
      const k = key(userId, name);
      const previous = live(markers, k, now)?.value ?? null;
      markers.set(k, { value, until: now + ttlMs });
      return previous;
    },
    async peek(userId, name, now) {
      return live(markers, key(userId, name), now)?.value ?? null;
    },

    dump(): MemoryStoreDump {
      const obj = <V, O>(map: Map<string, V>, f: (v: V) => O) =>
        Object.fromEntries([...map].map(([k, v]) => [k, f(v)]));
      return {
        factors: obj(factors, (user) => obj(user, (r) => ({ ...r }))),
        backupCodes: obj(backup, (s) => ({ salt: s.salt, hashes: [...s.hashes] })),
        limiter: obj(limiter, (s) => ({
          failures: [...s.failures],
          lockedUntil: s.lockedUntil,
          level: s.level,
        })),
        codes: obj(codes, (c) => ({
          challengeId: c.challengeId,
          hash: c.hash,
          expiresAt: c.expiresAt,
          used: c.used,
        })),
        challenges: obj(challenges, (c) => c.value),
        sessions: obj(sessions, (s) => ({ ...s })),
        markers: obj(markers, (m) => m.value),
      };
    },
    clear() {
      for (const map of [factors, backup, limiter, codes, challenges, sessions, userSessions]) {
        map.clear();
      }
      markers.clear();
    },
  };
  return store;
}
