import { timingSafeEqual } from "../crypto/timingSafeEqual";
import type {
  AttemptFailure,
  AttemptResult,
  BackupCodeSet,
  CredentialCheck,
  FactorRecord,
  LimitPolicy,
  MfaStore,
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
  limiter: Record<string, { failures: number[]; lockedUntil: number; level: number }>;
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
  limiter: { failures: number[]; lockedUntil: number; level: number; levelUntil: number } | null;
  /** The live one-time code of each factor, by factor id. */
  codes: Record<string, StoredCode & { used: boolean; until: number }>;
  challenges: Record<string, Expiring>;
  markers: Record<string, Expiring>;
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

/** The in-memory {@link MfaStore}, plus inspection helpers. */
export interface MemoryStore extends MfaStore {
  /** A deep copy of everything stored, expired entries included until swept. */
  dump(): MemoryStoreDump;
  /** Forgets everything. */
  clear(): void;
}

const SWEEP_EVERY = 1024;
const bytes = new TextEncoder();
const STALE: AttemptResult = Object.freeze({ ok: false, reason: "stale" });

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
  const sessions = new Map<string, StoredSession>();
  const userSessions = new Map<string, Set<string>>();
  const markers = new Map<string, Expiring>();
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
  };
  const idle = (st: LimiterState, now: number) =>
    st.failures.length === 0 && st.lockedUntil <= now && st.level === 0;

  const limiterState = (userId: string, policy: LimitPolicy, now: number): LimiterState => {
    let st = limiter.get(userId);
    if (!st) {
      st = { failures: [], lockedUntil: 0, level: 0, levelUntil: 0, windowMs: policy.windowMs };
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

  const putSession = (tokenHash: string, session: StoredSession) => {
    sessions.set(tokenHash, frozenSession(session));
    let set = userSessions.get(session.userId);
    if (!set) {
      set = new Set();
      userSessions.set(session.userId, set);
    }
    set.add(tokenHash);
  };

  const store: MemoryStore & StateAccess = {
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
      // 2. The lock.
      sweep(now);
      const held = limiter.get(userId);
      if (held) prune(held, now, policy.windowMs);
      if (held && held.lockedUntil > now) {
        return { ok: false, reason: "locked", retryAfterMs: held.lockedUntil - now };
      }
      // 3. The checks, until one passes.
      const failures: AttemptFailure[] = [];
      let passed = -1;
      for (let i = 0; i < checks.length; i++) {
        const check = checks[i]!;
        const record = check.factorId === undefined ? undefined : user?.get(check.factorId);
        const outcome = runCheck(userId, check, record, now);
        if (outcome === "pass") {
          if (record && check.patch) Object.assign(record, check.patch);
          passed = i;
          break;
        }
        failures.push(outcome);
      }
      // 4. The limiter.
      if (passed < 0) {
        const st = held ?? limiterState(userId, policy, now);
        st.windowMs = policy.windowMs;
        st.failures.push(now);
        if (st.failures.length < policy.maxFailures) {
          return {
            ok: false,
            reason: "failed",
            failures,
            attemptsLeft: policy.maxFailures - st.failures.length,
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
        };
      }
      if (held) limiter.delete(userId);
      // 5. What a success also does.
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
      const session = sessions.get(tokenHash);
      if (session === undefined) return null;
      if (session.expiresAt <= now) {
        dropSession(tokenHash, session.userId);
        return null;
      }
      return session;
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
      return swapMarker(userId, name, value, ttlMs, now);
    },
    async peek(userId, name, now) {
      return live(markers, key(userId, name), now)?.value ?? null;
    },

    dump(): MemoryStoreDump {
      const obj = <V, O>(map: Map<string, V>, f: (v: V) => O) =>
        Object.fromEntries([...map].map(([k, v]) => [k, f(v)]));
      return {
        factors: obj(factors, (user) => obj(user, (r) => ({ ...r }))),
        revs: obj(revs, (r) => r),
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
            }
          : null,
        codes: own(codes, (c) => ({ ...c })),
        challenges: own(challenges, (c) => ({ ...c })),
        markers: own(markers, (m) => ({ ...m })),
        sessions: sessionsOf,
      };
    },
    clear() {
      for (const map of [factors, revs, backup, limiter, codes, challenges, sessions]) map.clear();
      userSessions.clear();
      markers.clear();
    },
  };
  return store;
}
