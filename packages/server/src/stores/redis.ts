import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import type {
  AttemptReservation,
  AttemptSettlement,
  CodeConsumption,
  FactorRecord,
  MfaStore,
} from "./types";

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /** Prepended to every key, so several apps (or test runs) can share one Redis. Defaults to `"mfa:"`. */
  prefix?: string;
  /**
   * How long one store call may wait for Redis before it fails with a
   * {@link StoreUnavailableError} (the kit then answers 503). Defaults to `2000`.
   */
  timeoutMs?: number;
}

/**
 * Thrown by {@link redisStore} when Redis cannot answer: disconnected, reconnecting, or slower than
 * `timeoutMs`. The kit fails closed on it: verifications and session checks answer 503 with
 * `Retry-After`, never accept. Calls succeed again by themselves once the client has reconnected.
 */
export class StoreUnavailableError extends Error {
  /** Always `"store_unavailable"`. */
  readonly code = "store_unavailable";
  /** Seconds after which a retry has a fair chance. */
  readonly retryAfterSeconds: number;

  constructor(message: string, options: { cause?: unknown; retryAfterSeconds?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "StoreUnavailableError";
    this.retryAfterSeconds = options.retryAfterSeconds ?? 1;
  }

  /** Brand check that works across copies of the package (ESM and CJS). */
  static is(error: unknown): error is StoreUnavailableError {
    return (
      typeof error === "object" &&
      error !== null &&
      (error as { code?: unknown }).code === "store_unavailable" &&
      error instanceof Error
    );
  }
}

// ---- Lua ------------------------------------------------------------------------------------------
// Each check-and-set is one script: Redis runs a script to completion before any other command, so
// it is atomic, and EVALSHA makes it one round trip. Every key a script writes is a key of one user
// (hash tag `{user}`) except the session scripts, which also touch the session's own key. Deadlines
// are stored with the values and compared with the kit's `now`; PEXPIRE only collects garbage, with
// TTLs relative to `now`, so an entry never disappears before the kit considers it dead.

/** Shared helpers: constant-time compare, relative TTL and `<until>:<value>` records. */
const LUA_LIB = `
local function ttl(untilMs, nowMs)
  local d = math.ceil(untilMs - nowMs)
  if d < 1 then d = 1 end
  return d
end
local function same(a, b)
  local diff = bit.bxor(#a, #b)
  local n = math.max(#a, #b)
  for i = 1, n do
    diff = bit.bor(diff, bit.bxor(string.byte(a, i) or 0, string.byte(b, i) or 0))
  end
  return diff == 0
end
local function stamp(untilMs, value)
  return string.format('%.17g', untilMs) .. ':' .. value
end
local function liveValue(raw, now)
  if not raw then return nil end
  local sep = string.find(raw, ':', 1, true)
  if not sep or tonumber(string.sub(raw, 1, sep - 1)) <= now then return nil end
  return string.sub(raw, sep + 1)
end
`;

const SCRIPTS = {
  // KEYS: factors hash. ARGV: factorId, patch JSON.
  patchFactor: `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local record = cjson.decode(raw)
for k, v in pairs(cjson.decode(ARGV[2])) do record[k] = v end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(record))
return 1`,

  // KEYS: factors hash. ARGV: factorId, field, value, value as the kit writes it.
  advanceFactorCounter: `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local record = cjson.decode(raw)
local current = record[ARGV[2]]
if current ~= nil then
  local n = tonumber(current)
  if string.match(current, '^%s*$') then n = 0 end
  if n == nil or not (tonumber(ARGV[3]) > n) then return 0 end
end
record[ARGV[2]] = ARGV[4]
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(record))
return 1`,

  // KEYS: backup hash. ARGV: ifAbsent ('1'|'0'), salt, hashes...
  setBackupCodes: `
if ARGV[1] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[1])
if #ARGV < 3 then return 1 end
redis.call('HSET', KEYS[1], 'salt', ARGV[2])
local batch = {}
for i = 3, #ARGV do
  batch[#batch + 1] = 'h:' .. ARGV[i]
  batch[#batch + 1] = '1'
  if #batch >= 1000 then
    redis.call('HSET', KEYS[1], unpack(batch))
    batch = {}
  end
end
if #batch > 0 then redis.call('HSET', KEYS[1], unpack(batch)) end
return 1`,

  // KEYS: backup hash.
  getBackupCodes: `
local salt = redis.call('HGET', KEYS[1], 'salt')
if not salt then return nil end
return {salt, redis.call('HLEN', KEYS[1]) - 1}`,

  // KEYS: lock hash, failures zset, leases zset.
  // ARGV: now, reservationId, maxFailures, windowMs, leaseMs.
  // Returns {1, attemptsLeft} | {2, retryAfterMs} (locked) | {3} (busy).
  reserveAttempt: `
local now, max, windowMs = tonumber(ARGV[1]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - windowMs)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
local lockedUntil = tonumber(redis.call('HGET', KEYS[1], 'until')) or 0
if lockedUntil > now then return {2, math.ceil(lockedUntil - now)} end
local failures = redis.call('ZCARD', KEYS[2])
if failures + redis.call('ZCARD', KEYS[3]) >= max then return {3} end
local leaseUntil = now + tonumber(ARGV[5])
redis.call('ZADD', KEYS[3], leaseUntil, ARGV[2])
if redis.call('PTTL', KEYS[3]) < ttl(leaseUntil, now) then
  redis.call('PEXPIRE', KEYS[3], ttl(leaseUntil, now))
end
return {1, max - failures}`,

  // KEYS: lock hash, failures zset, leases zset.
  // ARGV: now, reservationId, outcome ('success'|'failure'), maxFailures, windowMs, levelTtlMs,
  //       lockouts...
  // Returns {attemptsLeft, lockedForMs, lockLevel} (-1 for "no lock started").
  settleAttempt: `
local now, max, windowMs, levelTtl =
  tonumber(ARGV[1]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - windowMs)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
redis.call('ZREM', KEYS[3], ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'until', 'level', 'levelUntil', 'seq')
local lockedUntil = tonumber(state[1]) or 0
local level = tonumber(state[2]) or 0
local levelUntil = tonumber(state[3]) or 0
local seq = (tonumber(state[4]) or 0) + 1
if lockedUntil <= now then lockedUntil = 0 end
if level > 0 and levelUntil <= now then level = 0 end
local result
if ARGV[3] == 'success' then
  redis.call('DEL', KEYS[2])
  lockedUntil, level, levelUntil = 0, 0, 0
  result = {max, -1, -1}
else
  redis.call('ZADD', KEYS[2], now, seq)
  local failures = redis.call('ZCARD', KEYS[2])
  if failures < max then
    result = {max - failures, -1, -1}
  else
    level = level + 1
    local lockouts = #ARGV - 6
    local lockedFor = 0
    if lockouts > 0 then lockedFor = tonumber(ARGV[6 + math.min(level, lockouts)]) end
    lockedUntil = now + lockedFor
    levelUntil = lockedUntil + levelTtl
    redis.call('DEL', KEYS[2])
    result = {0, lockedFor, level}
  end
end
local horizon = now
if lockedUntil > horizon then horizon = lockedUntil end
if level > 0 and levelUntil > horizon then horizon = levelUntil end
local lastFailure = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')[2]
if lastFailure and tonumber(lastFailure) + windowMs > horizon then
  horizon = tonumber(lastFailure) + windowMs
end
if horizon > now then
  redis.call('HSET', KEYS[1], 'until', lockedUntil, 'level', level, 'levelUntil', levelUntil,
    'seq', seq)
  redis.call('PEXPIRE', KEYS[1], ttl(horizon, now))
  if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], ttl(horizon, now)) end
else
  redis.call('DEL', KEYS[1], KEYS[2])
end
return result`,

  // KEYS: code hash. ARGV: now, ttlMs, challengeId, hash, expiresAt.
  putCode: `
local now = tonumber(ARGV[1])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'challenge', ARGV[3], 'hash', ARGV[4], 'expiresAt', ARGV[5],
  'until', now + tonumber(ARGV[2]), 'used', '0')
redis.call('PEXPIRE', KEYS[1], ttl(now + tonumber(ARGV[2]), now))`,

  // KEYS: code hash. ARGV: now, hash, '1' when a challengeId is given, challengeId.
  consumeCode: `
local now = tonumber(ARGV[1])
local c = redis.call('HMGET', KEYS[1], 'challenge', 'hash', 'expiresAt', 'until', 'used')
if not c[1] or tonumber(c[4]) <= now then return 'missing' end
if ARGV[3] == '1' and ARGV[4] ~= c[1] then return 'missing' end
if now >= tonumber(c[3]) then return 'expired' end
if not same(ARGV[2], c[2]) then return 'mismatch' end
if c[5] == '1' then return 'used' end
redis.call('HSET', KEYS[1], 'used', '1')
return 'ok'`,

  // KEYS: challenge. ARGV: now.
  takeChallenge: `
local raw = redis.call('GET', KEYS[1])
if not raw then return nil end
redis.call('DEL', KEYS[1])
return liveValue(raw, tonumber(ARGV[1]))`,

  // KEYS: session hash, the user's session index. ARGV: now, tokenHash, userId, expiresAt, value.
  createSession: `
local now, expiresAt = tonumber(ARGV[1]), tonumber(ARGV[4])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'user', ARGV[3], 'expiresAt', ARGV[4], 'value', ARGV[5],
  'index', KEYS[2])
redis.call('PEXPIRE', KEYS[1], ttl(expiresAt, now))
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZADD', KEYS[2], expiresAt, ARGV[2])
local last = tonumber(redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')[2])
redis.call('PEXPIRE', KEYS[2], ttl(last, now))`,

  // KEYS: session hash. ARGV: now, tokenHash, new expiresAt.
  // The session's index (named in the session) is extended with it, so revocation still finds it.
  touchSession: `
local now, expiresAt = tonumber(ARGV[1]), tonumber(ARGV[3])
local s = redis.call('HMGET', KEYS[1], 'user', 'expiresAt', 'value', 'index')
if not s[1] or tonumber(s[2]) <= now then return nil end
redis.call('HSET', KEYS[1], 'expiresAt', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ttl(expiresAt, now))
redis.call('ZADD', s[4], expiresAt, ARGV[2])
if redis.call('PTTL', s[4]) < ttl(expiresAt, now) then
  redis.call('PEXPIRE', s[4], ttl(expiresAt, now))
end
return {s[1], s[3]}`,

  // KEYS: session hash. ARGV: tokenHash.
  revokeSession: `
local index = redis.call('HGET', KEYS[1], 'index')
if not index then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', index, ARGV[1])
return 1`,

  // KEYS: the user's session index. ARGV: now, session key prefix.
  revokeUserSessions: `
local now = tonumber(ARGV[1])
local live = 0
for _, tokenHash in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local key = ARGV[2] .. tokenHash
  local expiresAt = tonumber(redis.call('HGET', key, 'expiresAt'))
  if expiresAt and expiresAt > now then live = live + 1 end
  redis.call('DEL', key)
end
redis.call('DEL', KEYS[1])
return live`,

  // KEYS: marker. ARGV: now, ttlMs.
  claim: `
local now = tonumber(ARGV[1])
if liveValue(redis.call('GET', KEYS[1]), now) then return 0 end
local untilMs = now + tonumber(ARGV[2])
redis.call('SET', KEYS[1], stamp(untilMs, '1'), 'PX', ttl(untilMs, now))
return 1`,

  // KEYS: marker. ARGV: now, ttlMs, value.
  swap: `
local now = tonumber(ARGV[1])
local previous = liveValue(redis.call('GET', KEYS[1]), now)
local untilMs = now + tonumber(ARGV[2])
redis.call('SET', KEYS[1], stamp(untilMs, ARGV[3]), 'PX', ttl(untilMs, now))
return previous`,
} as const;

type ScriptName = keyof typeof SCRIPTS;

interface Script {
  source: string;
  sha: string;
}

const compiled = Object.fromEntries(
  Object.entries(SCRIPTS).map(([name, body]) => {
    const source = `${LUA_LIB}\n${body}`;
    return [name, { source, sha: createHash("sha1").update(source).digest("hex") }];
  }),
) as Record<ScriptName, Script>;

// Replies that mean "Redis cannot serve right now" rather than "this command is wrong".
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN|OOM|NOREPLICAS)\b/;

/** Whether a failed call is an outage (fail closed) rather than a bug (keep it visible). */
function isOutage(error: unknown): boolean {
  if (!(error instanceof Error)) return true;
  if (error.name !== "ReplyError") return true;
  return TRANSIENT_REPLY.test(error.message);
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Parses a `<until>:<value>` record; `null` when absent or dead at `now`. */
function liveRecord(raw: string | null, now: number): string | null {
  if (raw === null) return null;
  const sep = raw.indexOf(":");
  if (sep < 0 || Number(raw.slice(0, sep)) <= now) return null;
  return raw.slice(sep + 1);
}

/** The {@link MfaStore} over Redis that {@link redisStore} returns. */
export interface RedisStore extends MfaStore {
  /** The key prefix in use (`"mfa:"` by default). */
  readonly prefix: string;
}

/**
 * An {@link MfaStore} on Redis (through an `ioredis` client you create and own), for more than one
 * server instance. Every check-and-set is one Lua script (atomic on the server, one round trip
 * through EVALSHA); the session check is one `HMGET`. Keys are `<prefix>{<userId>}:…` (one user's
 * keys share a hash tag) and `<prefix>s:<tokenHash>` for sessions; transient keys carry TTLs.
 * Works with a standalone Redis or a Sentinel-managed primary; Redis Cluster is not supported
 * (session revocation spans keys of several slots).
 *
 * It fails closed: while the client is not connected, or when Redis takes longer than `timeoutMs`,
 * every call rejects with {@link StoreUnavailableError} (the kit answers 503) instead of waiting in
 * ioredis' offline queue; once the client has reconnected, calls succeed again.
 *
 * @example
 * const mfa = createMfaServer({ issuer: "Acme", store: redisStore(new Redis(process.env.REDIS_URL)) });
 */
export function redisStore(client: Redis, options: RedisStoreOptions = {}): RedisStore {
  const prefix = options.prefix ?? "mfa:";
  const timeoutMs = options.timeoutMs ?? 2000;
  if (typeof prefix !== "string") throw new TypeError("redisStore: prefix must be a string");
  if (!(timeoutMs > 0)) throw new RangeError("redisStore: timeoutMs must be a positive number");

  // encodeURIComponent leaves no `{`, `}` or `:` in the user part, so keys of different users can
  // never collide whatever their ids contain.
  const userKey = (userId: string, suffix: string) =>
    `${prefix}{${encodeURIComponent(userId)}}:${suffix}`;
  const sessionPrefix = `${prefix}s:`;
  const sessionKey = (tokenHash: string) => `${sessionPrefix}${tokenHash}`;
  const limiterKeys = (userId: string) => [
    userKey(userId, "lock"),
    userKey(userId, "failures"),
    userKey(userId, "leases"),
  ];

  const unavailable = (message: string, cause?: unknown) =>
    new StoreUnavailableError(`Redis is unavailable: ${message}`, { cause });

  /** Runs one Redis call, failing fast while disconnected and after `timeoutMs`. */
  const run = <T>(op: () => Promise<T>): Promise<T> => {
    const status = client.status;
    if (status === "reconnecting" || status === "close" || status === "end") {
      return Promise.reject(unavailable(`the client is ${status}`));
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(unavailable(`no answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      op().then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(isOutage(error) ? unavailable(messageOf(error), error) : error);
        },
      );
    });
  };

  const evalScript = (name: ScriptName, keys: string[], args: (string | number)[]) =>
    run(async () => {
      const script = compiled[name];
      try {
        return await client.evalsha(script.sha, keys.length, ...keys, ...args);
      } catch (error) {
        // After a Redis restart (or on first use) the script is not cached yet: EVAL loads it.
        if (error instanceof Error && error.message.startsWith("NOSCRIPT")) {
          return client.eval(script.source, keys.length, ...keys, ...args);
        }
        throw error;
      }
    });

  const parseFactor = (raw: string): FactorRecord => JSON.parse(raw) as FactorRecord;
  const num = (value: number, what: string) => {
    if (!Number.isFinite(value))
      throw new RangeError(`redisStore: ${what} must be a finite number`);
    return String(value);
  };

  const store: RedisStore = {
    prefix,

    async createFactor(userId, factorId, fields) {
      const created = await run(() =>
        client.hsetnx(userKey(userId, "factors"), factorId, JSON.stringify(fields)),
      );
      return created === 1;
    },
    async getFactor(userId, factorId) {
      const raw = await run(() => client.hget(userKey(userId, "factors"), factorId));
      return raw === null ? null : parseFactor(raw);
    },
    async listFactors(userId) {
      const all = await run(() => client.hgetall(userKey(userId, "factors")));
      const out: Record<string, FactorRecord> = {};
      for (const [id, raw] of Object.entries(all)) out[id] = parseFactor(raw);
      return out;
    },
    async patchFactor(userId, factorId, fields) {
      const key = userKey(userId, "factors");
      return (await evalScript("patchFactor", [key], [factorId, JSON.stringify(fields)])) === 1;
    },
    async advanceFactorCounter(userId, factorId, field, value) {
      if (!Number.isFinite(value)) return false;
      const key = userKey(userId, "factors");
      const args = [factorId, field, String(value), String(value)];
      return (await evalScript("advanceFactorCounter", [key], args)) === 1;
    },
    async deleteFactor(userId, factorId) {
      return (await run(() => client.hdel(userKey(userId, "factors"), factorId))) === 1;
    },

    async setBackupCodes(userId, set, opts) {
      const args = [opts?.ifAbsent ? "1" : "0", set.salt, ...set.hashes];
      if (set.hashes.length === 0) args.length = 2;
      return (await evalScript("setBackupCodes", [userKey(userId, "backup")], args)) === 1;
    },
    async getBackupCodes(userId) {
      const got = (await evalScript("getBackupCodes", [userKey(userId, "backup")], [])) as
        | [string, number]
        | null;
      return got ? { salt: got[0], remaining: got[1] } : null;
    },
    async consumeBackupCode(userId, hash) {
      return (await run(() => client.hdel(userKey(userId, "backup"), `h:${hash}`))) === 1;
    },

    async reserveAttempt(userId, reservationId, policy, now): Promise<AttemptReservation> {
      const args = [
        num(now, "now"),
        reservationId,
        policy.maxFailures,
        policy.windowMs,
        policy.leaseMs,
      ];
      const reply = (await evalScript("reserveAttempt", limiterKeys(userId), args)) as number[];
      if (reply[0] === 1) return { ok: true, attemptsLeft: reply[1]! };
      if (reply[0] === 2) return { ok: false, reason: "locked", retryAfterMs: reply[1]! };
      return { ok: false, reason: "busy" };
    },
    async settleAttempt(userId, reservationId, outcome, policy, now): Promise<AttemptSettlement> {
      const args = [
        num(now, "now"),
        reservationId,
        outcome,
        policy.maxFailures,
        policy.windowMs,
        policy.levelTtlMs,
        ...policy.lockoutsMs,
      ];
      const [attemptsLeft, lockedForMs, lockLevel] = (await evalScript(
        "settleAttempt",
        limiterKeys(userId),
        args,
      )) as [number, number, number];
      return lockedForMs >= 0 ? { attemptsLeft, lockedForMs, lockLevel } : { attemptsLeft };
    },
    async lockedFor(userId, now) {
      const until = Number(await run(() => client.hget(userKey(userId, "lock"), "until")));
      return until > now ? until - now : 0;
    },

    async putCode(userId, factorId, code, ttlMs, now) {
      const args = [
        num(now, "now"),
        num(ttlMs, "ttlMs"),
        code.challengeId,
        code.hash,
        num(code.expiresAt, "expiresAt"),
      ];
      await evalScript("putCode", [userKey(userId, `code:${factorId}`)], args);
    },
    async consumeCode(userId, factorId, attempt, now) {
      const given = attempt.challengeId !== undefined;
      const args = [num(now, "now"), attempt.hash, given ? "1" : "0", attempt.challengeId ?? ""];
      const key = userKey(userId, `code:${factorId}`);
      return (await evalScript("consumeCode", [key], args)) as CodeConsumption;
    },

    async putChallenge(userId, name, value, ttlMs, now) {
      const until = now + ttlMs;
      const px = Math.max(1, Math.ceil(ttlMs));
      await run(() =>
        client.set(
          userKey(userId, `challenge:${name}`),
          `${num(until, "ttlMs")}:${value}`,
          "PX",
          px,
        ),
      );
    },
    async takeChallenge(userId, name, now) {
      const key = userKey(userId, `challenge:${name}`);
      return (
        ((await evalScript("takeChallenge", [key], [num(now, "now")])) as string | null) ?? null
      );
    },

    async createSession(tokenHash, session, now) {
      const keys = [sessionKey(tokenHash), userKey(session.userId, "sessions")];
      const args = [
        num(now, "now"),
        tokenHash,
        session.userId,
        num(session.expiresAt, "expiresAt"),
        session.value,
      ];
      await evalScript("createSession", keys, args);
    },
    async getSession(tokenHash, now) {
      const [userId, expiresAt, value] = await run(() =>
        client.hmget(sessionKey(tokenHash), "user", "expiresAt", "value"),
      );
      if (userId == null || expiresAt == null || value == null) return null;
      const expires = Number(expiresAt);
      return expires > now ? { userId, expiresAt: expires, value } : null;
    },
    async touchSession(tokenHash, expiresAt, now) {
      const args = [num(now, "now"), tokenHash, num(expiresAt, "expiresAt")];
      const got = (await evalScript("touchSession", [sessionKey(tokenHash)], args)) as
        | [string, string]
        | null;
      return got ? { userId: got[0], expiresAt, value: got[1] } : null;
    },
    async revokeSession(tokenHash) {
      return (await evalScript("revokeSession", [sessionKey(tokenHash)], [tokenHash])) === 1;
    },
    async revokeUserSessions(userId, now) {
      const keys = [userKey(userId, "sessions")];
      // ioredis prefixes KEYS with its own keyPrefix, but not a prefix the script builds keys from.
      const keyPrefix = client.options.keyPrefix ?? "";
      const args = [num(now, "now"), `${keyPrefix}${sessionPrefix}`];
      return (await evalScript("revokeUserSessions", keys, args)) as number;
    },

    async claim(userId, name, ttlMs, now) {
      const key = userKey(userId, `marker:${name}`);
      return (await evalScript("claim", [key], [num(now, "now"), num(ttlMs, "ttlMs")])) === 1;
    },
    async swap(userId, name, value, ttlMs, now) {
      const key = userKey(userId, `marker:${name}`);
      const args = [num(now, "now"), num(ttlMs, "ttlMs"), value];
      return ((await evalScript("swap", [key], args)) as string | null) ?? null;
    },
    async peek(userId, name, now) {
      return liveRecord(await run(() => client.get(userKey(userId, `marker:${name}`))), now);
    },
  };
  return store;
}
