import { createHash, randomBytes } from "node:crypto";
import type { Cluster, Redis } from "ioredis";
import type { WebhookOutbox } from "../webhooks/types";
import { StoreUnavailableError } from "./storeUnavailable";
import type {
  ActivationOutcome,
  AttemptFailure,
  AttemptResult,
  FactorRecord,
  MfaStore,
  StoredSession,
  UserFactors,
} from "./types";

export { StoreUnavailableError };

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

// ---- Lua ------------------------------------------------------------------------------------------
// Each check-and-set is one script: Redis runs a script to completion before any other command, so
// it is atomic, and EVALSHA makes it one round trip. Every key a script touches is passed in KEYS
// (none is computed inside Lua) and carries the hash tag of one user, `{<tag>}`, sessions included:
// so each script touches one hash slot and runs on Redis Cluster too. Deadlines are stored with the
// values and compared with the kit's `now`; PEXPIRE only collects garbage, with TTLs relative to
// `now`, so an entry never disappears before the kit considers it dead.

/**
 * Shared helpers: constant-time compare, relative TTL, `<until>:<value>` records, moving a user's
 * revision (`"0"`, no key, once they have no factor and no backup codes left), and writing and
 * reading a session with its entry in the user's index.
 */
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
local function moveRev(revKey, factorsKey, backupKey, rev)
  if redis.call('EXISTS', factorsKey, backupKey) == 0 then
    redis.call('DEL', revKey)
  else
    redis.call('SET', revKey, rev)
  end
end
-- A session is one string: expiresAt, authTime, acr, amr, factorId, then the user id (which may
-- hold anything), separated by newlines. 'head' is everything before the user id. 'index' is the
-- sorted set of the token hashes under the session's tag, scored by expiry.
local function writeSession(key, index, tokenHash, expiresAt, now, head, userId)
  redis.call('SET', key, head .. '\\n' .. userId, 'PX', ttl(expiresAt, now))
  redis.call('ZREMRANGEBYSCORE', index, '-inf', now)
  redis.call('ZADD', index, expiresAt, tokenHash)
  local last = tonumber(redis.call('ZRANGE', index, -1, -1, 'WITHSCORES')[2])
  redis.call('PEXPIRE', index, ttl(last, now))
end
-- The factor id of a stored session ('' for a backup code; nil when there is no session).
local function sessionFactor(value)
  if not value then return nil end
  local at = 0
  for _ = 1, 4 do
    at = string.find(value, '\\n', at + 1, true)
    if not at then return nil end
  end
  local stop = string.find(value, '\\n', at + 1, true)
  if not stop then return nil end
  return string.sub(value, at + 1, stop - 1)
end
-- Whether a factor record is pending and expired (a missing or malformed deadline is expired).
local function expiredPending(r, now)
  if r.status ~= 'pending' then return false end
  local untilMs = tonumber(r.pendingUntil)
  return not untilMs or untilMs ~= untilMs or untilMs == math.huge or untilMs <= now
end
-- The expiry and the user id of a stored session (nil when there is none).
local function sessionParts(value)
  if not value then return nil end
  local at = 0
  for _ = 1, 5 do
    at = string.find(value, '\\n', at + 1, true)
    if not at then return nil end
  end
  local first = string.find(value, '\\n', 1, true)
  return tonumber(string.sub(value, 1, first - 1)), string.sub(value, at + 1)
end
`;

const SCRIPTS = {
  // KEYS: rev, factors hash, backup hash. Returns {rev, factors (flat id/JSON list), salt|false, count}.
  loadFactors: `
local salt = redis.call('HGET', KEYS[3], 'salt')
local count = 0
if salt then count = redis.call('HLEN', KEYS[3]) - 1 end
return {redis.call('GET', KEYS[1]) or '0', redis.call('HGETALL', KEYS[2]), salt or false, count}`,

  // KEYS: rev, factors hash. ARGV: new rev, factorId, record JSON.
  createFactor: `
if redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3]) == 0 then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1`,

  // KEYS: rev, factors hash, backup hash. ARGV: new rev, factorId, record JSON, maxPending, now.
  createPendingFactor: `
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return 0 end
local now = tonumber(ARGV[5])
local pending = {}
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
  local r = cjson.decode(all[i + 1])
  if expiredPending(r, now) then
    redis.call('HDEL', KEYS[2], all[i])
  elseif r.status == 'pending' then
    pending[#pending + 1] = {id = all[i], untilMs = tonumber(r.pendingUntil)}
  end
end
table.sort(pending, function(a, b)
  if a.untilMs ~= b.untilMs then return a.untilMs < b.untilMs end
  return a.id < b.id
end)
for i = 1, #pending - tonumber(ARGV[4]) + 1 do redis.call('HDEL', KEYS[2], pending[i].id) end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('SET', KEYS[1], ARGV[1])
return 1`,

  // KEYS: rev, factors hash, backup hash. ARGV: new rev, factorId, stepUp ('1'|'0'), now.
  activateFactor: `
local raw = redis.call('HGET', KEYS[2], ARGV[2])
if not raw then return 'not_found' end
local r = cjson.decode(raw)
if r.status == 'active' then return 'active' end
if expiredPending(r, tonumber(ARGV[4])) then
  redis.call('HDEL', KEYS[2], ARGV[2])
  moveRev(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
  return 'expired'
end
if ARGV[3] ~= '1' then
  local all = redis.call('HGETALL', KEYS[2])
  for i = 1, #all, 2 do
    if all[i] ~= ARGV[2] and cjson.decode(all[i + 1]).status == 'active' then
      return 'step_up_required'
    end
  end
end
r.status = 'active'
r.pendingUntil = nil
redis.call('HSET', KEYS[2], ARGV[2], cjson.encode(r))
redis.call('SET', KEYS[1], ARGV[1])
return 'activated'`,

  // KEYS: rev, factors hash. ARGV: new rev, factorId, patch JSON.
  patchFactor: `
local raw = redis.call('HGET', KEYS[2], ARGV[2])
if not raw then return 0 end
local record = cjson.decode(raw)
for k, v in pairs(cjson.decode(ARGV[3])) do record[k] = v end
redis.call('HSET', KEYS[2], ARGV[2], cjson.encode(record))
redis.call('SET', KEYS[1], ARGV[1])
return 1`,

  // KEYS: rev, factors hash, backup hash. ARGV: new rev, factorId.
  deleteFactor: `
if redis.call('HDEL', KEYS[2], ARGV[2]) == 0 then return 0 end
moveRev(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
return 1`,

  // KEYS: rev, factors hash, backup hash. ARGV: new rev, ifAbsent ('1'|'0'), salt, hashes...
  setBackupCodes: `
if ARGV[2] == '1' and redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
redis.call('DEL', KEYS[3])
if #ARGV < 4 then
  moveRev(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
  return 1
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[3], 'salt', ARGV[3])
local batch = {}
for i = 4, #ARGV do
  batch[#batch + 1] = 'h:' .. ARGV[i]
  batch[#batch + 1] = '1'
  if #batch >= 1000 then
    redis.call('HSET', KEYS[3], unpack(batch))
    batch = {}
  end
end
if #batch > 0 then redis.call('HSET', KEYS[3], unpack(batch)) end
return 1`,

  // The whole verification (see MfaStore.verifyAttempt). KEYS: rev, factors hash, backup hash,
  // lock hash, failures zset, the session index of the user's tag, then the keys the payload
  // names by index (challenges, codes, markers, the session). ARGV: the payload as JSON.
  // Returns {0} (stale) | {1, retryAfterMs} (locked)
  //       | {2, attemptsLeft, lockedForMs|-1, lockLevel|-1, failure...} (failed)
  //       | {3, check (0-based), backupCodesRemaining|-1, held|false, previous|false...} (passed)
  verifyAttempt: `
local p = cjson.decode(ARGV[1])
local now = tonumber(p.now)
if (redis.call('GET', KEYS[1]) or '0') ~= p.rev then return {0} end
local records = {}
for _, c in ipairs(p.checks) do
  if c.factorId then
    local r = records[c.factorId]
    if not r then
      local raw = redis.call('HGET', KEYS[2], c.factorId)
      if not raw then return {0} end
      r = cjson.decode(raw)
      records[c.factorId] = r
    end
    if c.expect then
      for k, v in pairs(c.expect) do
        if (r[k] or '') ~= v then return {0} end
      end
    end
  end
end

local max, windowMs, levelTtl = tonumber(p.maxFailures), tonumber(p.windowMs), tonumber(p.levelTtlMs)
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now - windowMs)
local state = redis.call('HMGET', KEYS[4], 'until', 'level', 'levelUntil', 'seq', 'streak',
  'streakUntil', 'suspended')
local streak = tonumber(state[5]) or 0
local streakUntil = tonumber(state[6]) or 0
local suspended = state[7] == '1'
if streak > 0 and streakUntil <= now then streak, suspended = 0, false end
if suspended then
  for _, c in ipairs(p.checks) do
    if c.guessable then return {4} end
  end
end
local lockedUntil = tonumber(state[1]) or 0
if lockedUntil > now then return {1, math.ceil(lockedUntil - now)} end
lockedUntil = 0
local level = tonumber(state[2]) or 0
local levelUntil = tonumber(state[3]) or 0
local seq = (tonumber(state[4]) or 0) + 1
if level > 0 and levelUntil <= now then level = 0 end

local function take(key)
  local raw = redis.call('GET', key)
  if not raw then return nil end
  redis.call('DEL', key)
  return liveValue(raw, now)
end
local function advance(r, field, value)
  local current = r[field]
  if current ~= nil then
    local n = tonumber(current)
    if string.match(current, '^%s*$') then n = 0 end
    if n == nil or not (tonumber(value) > n) then return false end
  end
  r[field] = value
  return true
end
local function run(c, r)
  if c.challenge and not take(KEYS[c.challenge]) then return 'code_expired' end
  if c.kind == 'counter' then
    if r and advance(r, c.field, c.value) then return 'pass' end
    return 'code_reused'
  elseif c.kind == 'match' then
    return 'pass'
  elseif c.kind == 'code' then
    if not c.code then return c.missing end
    local k = KEYS[c.code]
    local s = redis.call('HMGET', k, 'challenge', 'hash', 'expiresAt', 'until', 'used')
    if not s[1] or tonumber(s[4]) <= now then return c.missing end
    if c.challengeId and c.challengeId ~= s[1] then return c.missing end
    if now >= tonumber(s[3]) then return 'code_expired' end
    if not same(c.hash, s[2]) then return 'invalid_code' end
    if s[5] == '1' then return 'code_reused' end
    redis.call('HSET', k, 'used', '1')
    return 'pass'
  elseif c.kind == 'backupCode' then
    if redis.call('HDEL', KEYS[3], 'h:' .. c.hash) == 1 then return 'pass' end
    return 'invalid_code'
  elseif c.kind == 'resync' then
    local pending = tonumber(take(KEYS[c.key]))
    if pending then
      for _, m in ipairs(c.matches) do
        if m == pending + 1 then
          if r and advance(r, c.field, string.format('%d', pending + 2)) then return 'pass' end
          return 'code_reused'
        end
      end
    end
    if not c.candidate then return c.failure end
    local untilMs = now + tonumber(c.ttlMs)
    redis.call('SET', KEYS[c.key], stamp(untilMs, c.candidate), 'PX', ttl(untilMs, now))
    return 'resync_required'
  end
  return c.failure
end

local passed
local failures = {}
-- No more checks than failures are left before the lock and the suspension, at least one.
local budget = max - redis.call('ZCARD', KEYS[5])
local untilSuspended = tonumber(p.maxConsecutiveFailures) - streak
if not suspended and untilSuspended < budget then budget = untilSuspended end
if budget < 1 then budget = 1 end
-- A sent-code factor with no unused, unexpired code out could not match: among several candidates it is no
-- guess, so it is passed over without a failure (or any of the budget).
local function outstanding(c)
  if not c.code then return false end
  local s = redis.call('HMGET', KEYS[c.code], 'challenge', 'until', 'expiresAt', 'used')
  if not s[1] or tonumber(s[2]) <= now or now >= tonumber(s[3]) or s[4] == '1' then return false end
  return not c.challengeId or c.challengeId == s[1]
end
local absent
for i, c in ipairs(p.checks) do
  if #failures >= budget then break end
  if #p.checks > 1 and c.kind == 'code' and not outstanding(c) then
    absent = absent or c.missing
  else
    local r = c.factorId and records[c.factorId]
    local outcome = run(c, r)
    if outcome == 'pass' then
      if r then
        for k, v in pairs(c.patch or {}) do r[k] = v end
        redis.call('HSET', KEYS[2], c.factorId, cjson.encode(r))
      end
      passed = i
      break
    end
    failures[#failures + 1] = outcome
  end
end
if not passed and #failures == 0 and absent then failures[1] = absent end

local reply
if passed then
  redis.call('DEL', KEYS[5])
  level, levelUntil, streak, suspended = 0, 0, 0, false
else
  local n = math.max(1, #failures)
  for i = 0, n - 1 do redis.call('ZADD', KEYS[5], now, seq + i) end
  seq = seq + n - 1
  streak = streak + n
  streakUntil = now + tonumber(p.consecutiveTtlMs)
  local newlySuspended = 0
  if not suspended and streak >= tonumber(p.maxConsecutiveFailures) then
    suspended = true
    newlySuspended = 1
  end
  local count = redis.call('ZCARD', KEYS[5])
  if count < max then
    reply = {2, max - count, -1, -1, newlySuspended}
  else
    level = level + 1
    local lockedFor = tonumber(p.lockoutsMs[math.min(level, #p.lockoutsMs)]) or 0
    lockedUntil = now + lockedFor
    levelUntil = lockedUntil + levelTtl
    redis.call('DEL', KEYS[5])
    reply = {2, 0, lockedFor, level, newlySuspended}
  end
  for _, f in ipairs(failures) do reply[#reply + 1] = f end
end
local horizon = now
if lockedUntil > horizon then horizon = lockedUntil end
if level > 0 and levelUntil > horizon then horizon = levelUntil end
if streak > 0 and streakUntil > horizon then horizon = streakUntil end
local lastFailure = redis.call('ZRANGE', KEYS[5], -1, -1, 'WITHSCORES')[2]
local windowEnd = now
if lastFailure then windowEnd = tonumber(lastFailure) + windowMs end
if windowEnd > horizon then horizon = windowEnd end
if horizon > now then
  redis.call('HSET', KEYS[4], 'until', lockedUntil, 'level', level, 'levelUntil', levelUntil,
    'seq', seq, 'streak', streak, 'streakUntil', streakUntil, 'suspended', suspended and '1' or '0')
  redis.call('PEXPIRE', KEYS[4], ttl(horizon, now))
  if windowEnd > now then redis.call('PEXPIRE', KEYS[5], ttl(windowEnd, now)) end
else
  redis.call('DEL', KEYS[4], KEYS[5])
end
if not passed then return reply end

local c = p.checks[passed]
local remaining = -1
if c.kind == 'backupCode' then remaining = math.max(0, redis.call('HLEN', KEYS[3]) - 1) end
reply = {3, passed - 1, remaining, false}
if p.hold then
  local current = liveValue(redis.call('GET', KEYS[p.hold.key]), now)
  if current and current ~= p.hold.value then
    reply[4] = current
    return reply
  end
end
for _, m in ipairs(p.swap or {}) do
  local k = KEYS[m.key]
  local previous = liveValue(redis.call('GET', k), now)
  local untilMs = now + tonumber(m.ttlMs)
  redis.call('SET', k, stamp(untilMs, m.value), 'PX', ttl(untilMs, now))
  reply[#reply + 1] = previous or false
end
local s = p.session
if s then
  local head = table.concat({s.expiresAt, p.now, c.acr, table.concat(c.amr, ' '), c.factorId or ''},
    '\\n')
  writeSession(KEYS[s.key], KEYS[6], s.token, tonumber(s.expiresAt), now, head, s.userId)
end
return reply`,

  // KEYS: code hash. ARGV: now, ttlMs, challengeId, hash, expiresAt.
  putCode: `
local now = tonumber(ARGV[1])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'challenge', ARGV[3], 'hash', ARGV[4], 'expiresAt', ARGV[5],
  'until', now + tonumber(ARGV[2]), 'used', '0')
redis.call('PEXPIRE', KEYS[1], ttl(now + tonumber(ARGV[2]), now))`,

  // KEYS: challenge. ARGV: now.
  takeChallenge: `
local raw = redis.call('GET', KEYS[1])
if not raw then return nil end
redis.call('DEL', KEYS[1])
return liveValue(raw, tonumber(ARGV[1]))`,

  // KEYS: session, the session index of its tag. ARGV: now, tokenHash, expiresAt, head, userId.
  createSession: `
writeSession(KEYS[1], KEYS[2], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[1]), ARGV[4], ARGV[5])`,

  // KEYS: session, the session index of its tag. ARGV: now, tokenHash, new expiresAt.
  // The index is extended with the session, so revocation still finds it.
  touchSession: `
local now, expiresAt = tonumber(ARGV[1]), tonumber(ARGV[3])
local value = redis.call('GET', KEYS[1])
local current = sessionParts(value)
if not current or current <= now then return nil end
value = ARGV[3] .. string.sub(value, (string.find(value, '\\n', 1, true)))
redis.call('SET', KEYS[1], value, 'PX', ttl(expiresAt, now))
redis.call('ZADD', KEYS[2], expiresAt, ARGV[2])
if redis.call('PTTL', KEYS[2]) < ttl(expiresAt, now) then
  redis.call('PEXPIRE', KEYS[2], ttl(expiresAt, now))
end
return value`,

  // KEYS: session, the session index of its tag. ARGV: tokenHash, now.
  revokeSession: `
local expiresAt = sessionParts(redis.call('GET', KEYS[1]))
redis.call('ZREM', KEYS[2], ARGV[1])
if not expiresAt then return 0 end
redis.call('DEL', KEYS[1])
if expiresAt > tonumber(ARGV[2]) then return 1 end
return 0`,

  // KEYS: the session index of the user's tag, then the key of each token hash the caller read
  // from it. ARGV: now, userId, factorId|'', backupCode ('1'|'0'), except|'', then those token
  // hashes in the order of their keys. Returns -1 (nothing written) when the index holds a token
  // hash the caller did not pass (a session created since the read): the caller reads again.
  revokeUserSessions: `
local now, userId = tonumber(ARGV[1]), ARGV[2]
local factorId, backup, except = ARGV[3], ARGV[4] == '1', ARGV[5]
local everything = factorId == '' and not backup
local keyOf = {}
for i = 6, #ARGV do keyOf[ARGV[i]] = KEYS[i - 4] end
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, tokenHash in ipairs(members) do
  if not keyOf[tokenHash] then return -1 end
end
local live = 0
for _, tokenHash in ipairs(members) do
  if tokenHash ~= except then
    local key = keyOf[tokenHash]
    local value = redis.call('GET', key)
    local expiresAt, owner = sessionParts(value)
    -- Another user's session under the same tag stays; an entry without a session goes.
    local selected = not value or (owner == userId and everything)
    if value and owner == userId and not selected then
      local f = sessionFactor(value)
      selected = (factorId ~= '' and f == factorId) or (backup and f == '')
    end
    if selected then
      if expiresAt and expiresAt > now then live = live + 1 end
      redis.call('DEL', key)
      redis.call('ZREM', KEYS[1], tokenHash)
    end
  end
end
if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('DEL', KEYS[1]) end
return live`,

  // KEYS: lock hash, failures zset. ARGV: now.
  unlock: `
local now = tonumber(ARGV[1])
local s = redis.call('HMGET', KEYS[1], 'until', 'suspended', 'streakUntil')
local was = (tonumber(s[1]) or 0) > now or (s[2] == '1' and (tonumber(s[3]) or 0) > now)
redis.call('DEL', KEYS[1], KEYS[2])
if was then return 1 end
return 0`,

  // KEYS: events zset, sequence. ARGV: now, intervalMs, max, windowMs.
  throttle: `
local now = tonumber(ARGV[1])
local interval, max, windowMs = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - windowMs)
local wait = 0
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2]
if last and now - tonumber(last) < interval then wait = tonumber(last) + interval - now end
local count = redis.call('ZCARD', KEYS[1])
if count >= max then
  local t = tonumber(redis.call('ZRANGE', KEYS[1], count - max, count - max, 'WITHSCORES')[2])
  if t + windowMs - now > wait then wait = t + windowMs - now end
end
if wait > 0 then return math.max(1, math.ceil(wait)) end
local n = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], now, string.format('%.17g', now) .. ':' .. n)
local keep = ttl(now + math.max(windowMs, interval), now)
redis.call('PEXPIRE', KEYS[1], keep)
redis.call('PEXPIRE', KEYS[2], keep)
return 0`,

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

  // The webhook outbox, two keys of one hash tag: a hash of stream -> its messages (a JSON array,
  // oldest first; numbers kept as strings) and a sorted set of stream -> when its head may be
  // handed out next (the head's dueAt, or the end of a claim's lease).
  // KEYS: queues, due. ARGV: messages (a JSON array).
  outboxAdd: `
for _, m in ipairs(cjson.decode(ARGV[1])) do
  local raw = redis.call('HGET', KEYS[1], m.stream)
  local queue = raw and cjson.decode(raw) or {}
  queue[#queue + 1] = m
  redis.call('HSET', KEYS[1], m.stream, cjson.encode(queue))
  if not raw then redis.call('ZADD', KEYS[2], tonumber(m.dueAt), m.stream) end
end
return 1`,

  // KEYS: queues, due. ARGV: now, leasedUntil, limit. Returns the heads handed out (JSON each).
  outboxClaim: `
local out = {}
for _, stream in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))) do
  local raw = redis.call('HGET', KEYS[1], stream)
  if raw then
    out[#out + 1] = cjson.encode(cjson.decode(raw)[1])
    redis.call('ZADD', KEYS[2], ARGV[2], stream)
  else
    redis.call('ZREM', KEYS[2], stream)
  end
end
return out`,

  // KEYS: queues, due. ARGV: stream, id, then for a retry: attempts, dueAt (else the head goes).
  outboxSettle: `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local queue = cjson.decode(raw)
if queue[1].id ~= ARGV[2] then return 0 end
if ARGV[3] then
  queue[1].attempts = ARGV[3]
  queue[1].dueAt = ARGV[4]
elseif #queue == 1 then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 1
else
  table.remove(queue, 1)
end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(queue))
redis.call('ZADD', KEYS[2], tonumber(queue[1].dueAt), ARGV[1])
return 1`,
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

/**
 * A session as one string value: `expiresAt`, `authTime`, `acr`, `amr` (space-separated),
 * `factorId` (or nothing), then the user id (which may hold anything), separated by newlines. The
 * session check reads it with `MGET`, batched. `sessionHead` is the part before the user id.
 */
function sessionHead(s: StoredSession): string {
  const parts = [s.acr, ...s.amr, s.factorId ?? ""];
  if (parts.some((part) => /\s/.test(part)) || s.amr.some((m) => m === "")) {
    throw new TypeError("redisStore: acr, amr values and factorId cannot hold whitespace");
  }
  return [s.expiresAt, s.authTime, s.acr, s.amr.join(" "), s.factorId ?? ""].join("\n");
}

/** The live session a stored value holds, or `null`. */
function unpackSession(value: string | null, now: number): StoredSession | null {
  if (value === null) return null;
  const a = value.indexOf("\n");
  const b = value.indexOf("\n", a + 1);
  const c = value.indexOf("\n", b + 1);
  const d = value.indexOf("\n", c + 1);
  const e = value.indexOf("\n", d + 1);
  if (a < 0 || b < 0 || c < 0 || d < 0 || e < 0) return null;
  const expiresAt = Number(value.slice(0, a));
  if (!(expiresAt > now)) return null;
  const amr = value.slice(c + 1, d);
  const session: StoredSession = {
    userId: value.slice(e + 1),
    acr: value.slice(b + 1, c),
    amr: amr === "" ? [] : amr.split(" "),
    authTime: Number(value.slice(a + 1, b)),
    expiresAt,
  };
  if (e > d + 1) session.factorId = value.slice(d + 1, e);
  return session;
}

/** The characters of a hash tag: base64url, so never a brace, a colon or a dot. */
const TAG = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * The hash tag of a user: the first 48 bits of the SHA-256 of the id, base64url (8 characters).
 * Short and of fixed length whatever the id holds, and spread evenly over Redis Cluster's slots.
 * Two users may share a tag (keys still tell them apart, see `userKey`); the session index of a
 * tag is then shared, and revocation checks each session's user.
 */
function redisUserTag(userId: string): string {
  return createHash("sha256").update(userId, "utf8").digest("base64url").slice(0, 8);
}

/**
 * The key of one piece of a user's state. The tag puts one user's keys in one slot;
 * encodeURIComponent leaves no `{`, `}` or `:` in the user part, so keys of different users never
 * collide whatever their ids contain, even when their tags do.
 */
export const redisUserKey = (prefix: string, userId: string, suffix: string) =>
  `${prefix}{${redisUserTag(userId)}}:u:${encodeURIComponent(userId)}:${suffix}`;

/** The tag a token hash starts with (`<tag>.<hash>`), or `undefined` when it carries none. */
function tagOf(tokenHash: string): string | undefined {
  const dot = tokenHash.indexOf(".");
  if (dot < 0) return undefined;
  const tag = tokenHash.slice(0, dot);
  return TAG.test(tag) ? tag : undefined;
}

/** Session checks waiting for the next batched `MGET`. */
interface SessionRead {
  key: string;
  tag: string;
  now: number;
  resolve(session: StoredSession | null): void;
  reject(error: unknown): void;
}

/** The most session checks one `MGET` answers. */
const MAX_BATCH = 256;

/** How often {@link RedisStore.revokeUserSessions} reads the index again before it gives up. */
const REVOKE_ATTEMPTS = 16;

/** The `keyPrefix` ioredis puts in front of every key (a cluster's may sit in `redisOptions`). */
function keyPrefixOf(client: Redis | Cluster): string {
  if (client.isCluster) {
    const options = (client as Cluster).options;
    return options.keyPrefix ?? options.redisOptions?.keyPrefix ?? "";
  }
  return client.options?.keyPrefix ?? "";
}

/** Parses a `<until>:<value>` record; `null` when absent or dead at `now`. */
function liveRecord(raw: string | null, now: number): string | null {
  if (raw === null) return null;
  const sep = raw.indexOf(":");
  if (sep < 0 || Number(raw.slice(0, sep)) <= now) return null;
  return raw.slice(sep + 1);
}

/** The {@link MfaStore} over Redis that {@link redisStore} returns. */
export interface RedisStore extends MfaStore, WebhookOutbox {
  /** The key prefix in use (`"mfa:"` by default). */
  readonly prefix: string;
  /** The live session (one `MGET`, shared by the checks of one event-loop turn), or `null`. */
  getSession(tokenHash: string, now: number): Promise<StoredSession | null>;
  /** The user's hash tag, which the kit puts in front of their session tokens. */
  sessionTokenTag(userId: string): string;
}

/**
 * An {@link MfaStore} on Redis (through an `ioredis` client you create and own), for more than one
 * server instance. Every check-and-set is one Lua script (atomic on the server, one round trip
 * through EVALSHA); the session check is one `GET` (batched into `MGET`s under load). Every key of
 * a user, sessions included, carries the user's hash tag (a hash of the id), so every script
 * touches one hash slot: `<prefix>{<tag>}:u:<userId>:…` for the user's state,
 * `<prefix>{<tag>}:s:<hash>` for a session (the kit puts the tag in front of the user's session
 * tokens, so the check still needs the token alone) and `<prefix>{<tag>}:sessions` for their index.
 * Transient keys carry TTLs. Works with a standalone Redis, a Sentinel-managed primary, or Redis
 * Cluster (pass an ioredis `Cluster`).
 *
 * It fails closed: while the client is not connected, or when Redis takes longer than `timeoutMs`,
 * every call rejects with {@link StoreUnavailableError} (the kit answers 503) instead of waiting in
 * ioredis' offline queue; once the client has reconnected, calls succeed again.
 *
 * @example
 * const mfa = createMfaServer({ issuer: "Acme", store: redisStore(new Redis(process.env.REDIS_URL)) });
 */
export function redisStore(client: Redis | Cluster, options: RedisStoreOptions = {}): RedisStore {
  const prefix = options.prefix ?? "mfa:";
  const timeoutMs = options.timeoutMs ?? 2000;
  if (typeof prefix !== "string") throw new TypeError("redisStore: prefix must be a string");
  if (/\n/.test(`${prefix}${keyPrefixOf(client)}`)) {
    // Key names are listed one a line (redis-cli, SCAN output): a newline would split one.
    throw new TypeError("redisStore: the key prefixes cannot hold a newline");
  }
  if (!(timeoutMs > 0)) throw new RangeError("redisStore: timeoutMs must be a positive number");

  const cluster = client.isCluster === true;
  // The webhook outbox is no user's: its two keys share a hash tag of their own.
  const outboxKeys = [`${prefix}{outbox}:queues`, `${prefix}{outbox}:due`];
  const userKey = (userId: string, suffix: string) => redisUserKey(prefix, userId, suffix);
  const indexKey = (tag: string) => `${prefix}{${tag}}:sessions`;
  /** The key of a session (its token hash is `<tag>.<hash>`), or `undefined` without a tag. */
  const sessionKey = (tokenHash: string) => {
    const tag = tagOf(tokenHash);
    return tag === undefined ? undefined : `${prefix}{${tag}}:s:${tokenHash.slice(tag.length + 1)}`;
  };
  /** The session key of a token hash the kit issued for `userId`; a programmer error otherwise. */
  const ownSessionKey = (tokenHash: string, userId: string) => {
    const tag = redisUserTag(userId);
    if (tagOf(tokenHash) !== tag) {
      throw new TypeError(
        "redisStore: a session's token hash must start with the user's tag and a dot (sessionTokenTag)",
      );
    }
    return sessionKey(tokenHash)!;
  };
  // A revision no store ever wrote before: random per store object, then a counter.
  const revBase = `${randomBytes(9).toString("base64url")}.`;
  let revCounter = 0;
  const nextRev = () => `${revBase}${(++revCounter).toString(36)}`;

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

  const num = (value: number, what: string) => {
    if (!Number.isFinite(value))
      throw new RangeError(`redisStore: ${what} must be a finite number`);
    return String(value);
  };

  let reads: SessionRead[] = [];
  /** Sends the waiting session checks as one MGET (one per tag on a cluster: one slot each). */
  const readSessions = () => {
    if (reads.length === 0) return;
    const batches: SessionRead[][] = [];
    if (cluster) {
      const byTag = new Map<string, SessionRead[]>();
      for (const read of reads) {
        const group = byTag.get(read.tag);
        if (group) group.push(read);
        else byTag.set(read.tag, [read]);
      }
      batches.push(...byTag.values());
    } else {
      batches.push(reads);
    }
    reads = [];
    for (const batch of batches) readBatch(batch);
  };
  const readBatch = (batch: SessionRead[]) => {
    run(() => client.mget(batch.map((read) => read.key))).then(
      (values) => {
        for (let i = 0; i < batch.length; i++) {
          const read = batch[i]!;
          read.resolve(unpackSession(values[i] ?? null, read.now));
        }
      },
      (error: unknown) => {
        for (const read of batch) read.reject(error);
      },
    );
  };

  const store: RedisStore = {
    prefix,
    sessionTokenTag: redisUserTag,

    async loadFactors(userId): Promise<UserFactors> {
      const keys = [userKey(userId, "rev"), userKey(userId, "factors"), userKey(userId, "backup")];
      const [rev, flat, salt, count] = (await evalScript("loadFactors", keys, [])) as [
        string,
        string[],
        string | null,
        number,
      ];
      const factors: Record<string, FactorRecord> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) {
        factors[flat[i]!] = JSON.parse(flat[i + 1]!) as FactorRecord;
      }
      return { rev, factors, backupCodes: salt === null ? null : { salt, remaining: count } };
    },
    async createFactor(userId, factorId, fields) {
      const keys = [userKey(userId, "rev"), userKey(userId, "factors")];
      const args = [nextRev(), factorId, JSON.stringify(fields)];
      return (await evalScript("createFactor", keys, args)) === 1;
    },
    async createPendingFactor(userId, factorId, fields, limit, now) {
      const keys = [userKey(userId, "rev"), userKey(userId, "factors"), userKey(userId, "backup")];
      const args = [
        nextRev(),
        factorId,
        JSON.stringify(fields),
        num(limit.maxPending, "maxPending"),
        num(now, "now"),
      ];
      return (await evalScript("createPendingFactor", keys, args)) === 1;
    },
    async activateFactor(userId, factorId, activation, now) {
      const keys = [userKey(userId, "rev"), userKey(userId, "factors"), userKey(userId, "backup")];
      const args = [nextRev(), factorId, activation.stepUp ? "1" : "0", num(now, "now")];
      return (await evalScript("activateFactor", keys, args)) as ActivationOutcome;
    },
    async patchFactor(userId, factorId, fields) {
      const keys = [userKey(userId, "rev"), userKey(userId, "factors")];
      const args = [nextRev(), factorId, JSON.stringify(fields)];
      return (await evalScript("patchFactor", keys, args)) === 1;
    },
    async deleteFactor(userId, factorId) {
      const keys = [userKey(userId, "rev"), userKey(userId, "factors"), userKey(userId, "backup")];
      return (await evalScript("deleteFactor", keys, [nextRev(), factorId])) === 1;
    },

    async setBackupCodes(userId, set, opts) {
      const keys = [userKey(userId, "rev"), userKey(userId, "factors"), userKey(userId, "backup")];
      const args = [nextRev(), opts?.ifAbsent ? "1" : "0", set.salt, ...set.hashes];
      if (set.hashes.length === 0) args.length = 3;
      return (await evalScript("setBackupCodes", keys, args)) === 1;
    },

    async verifyAttempt(userId, attempt, now): Promise<AttemptResult> {
      const keys = [
        userKey(userId, "rev"),
        userKey(userId, "factors"),
        userKey(userId, "backup"),
        userKey(userId, "lock"),
        userKey(userId, "failures"),
        indexKey(redisUserTag(userId)),
      ];
      /** Adds a key for the script and returns its (1-based) index in KEYS. */
      const ref = (key: string) => keys.push(key);
      const { policy, success } = attempt;
      if (success?.session) {
        // Whatever check passes carries its claims into the packed session: check them all now.
        for (const check of attempt.checks) {
          sessionHead({ ...check, userId, authTime: now, expiresAt: now });
        }
      }
      const payload = {
        now: num(now, "now"),
        rev: attempt.rev,
        maxFailures: policy.maxFailures,
        windowMs: policy.windowMs,
        levelTtlMs: policy.levelTtlMs,
        lockoutsMs: policy.lockoutsMs,
        maxConsecutiveFailures: policy.maxConsecutiveFailures,
        consecutiveTtlMs: policy.consecutiveTtlMs,
        checks: attempt.checks.map((check) => {
          const out: Record<string, unknown> = { ...check };
          if (check.challenge !== undefined) {
            out.challenge = ref(userKey(userId, `challenge:${check.challenge}`));
          }
          if (check.kind === "counter") out.value = num(check.value, "value");
          if (check.kind === "code" && check.factorId !== undefined) {
            out.code = ref(userKey(userId, `code:${check.factorId}`));
          }
          if (check.kind === "resync") {
            out.key = ref(userKey(userId, `challenge:${check.key}`));
            if (check.candidate !== undefined) out.candidate = num(check.candidate, "candidate");
          }
          return out;
        }),
        ...(success?.hold
          ? {
              hold: {
                key: ref(userKey(userId, `marker:${success.hold.key}`)),
                value: success.hold.value,
              },
            }
          : {}),
        ...(success?.swap?.length
          ? {
              swap: success.swap.map((m) => ({
                key: ref(userKey(userId, `marker:${m.key}`)),
                value: m.value,
                ttlMs: num(m.ttlMs, "ttlMs"),
              })),
            }
          : {}),
        ...(success?.session
          ? {
              session: {
                key: ref(ownSessionKey(success.session.tokenHash, userId)),
                token: success.session.tokenHash,
                userId,
                expiresAt: num(success.session.expiresAt, "expiresAt"),
              },
            }
          : {}),
      };
      const reply = (await evalScript("verifyAttempt", keys, [JSON.stringify(payload)])) as (
        | number
        | string
        | null
      )[];
      switch (reply[0]) {
        case 0:
          return { ok: false, reason: "stale" };
        case 1:
          return { ok: false, reason: "locked", retryAfterMs: reply[1] as number };
        case 2: {
          const [, attemptsLeft, lockedForMs, lockLevel, suspended, ...failures] =
            reply as number[];
          return {
            ok: false,
            reason: "failed",
            failures: failures as unknown as AttemptFailure[],
            attemptsLeft: attemptsLeft!,
            ...(lockedForMs! >= 0 ? { lockedForMs, lockLevel: lockLevel! } : {}),
            ...(suspended === 1 ? { suspended: true as const } : {}),
          };
        }
        case 4:
          return { ok: false, reason: "suspended" };
        default: {
          const [, check, remaining, held, ...previous] = reply;
          const result: Extract<AttemptResult, { ok: true }> = {
            ok: true,
            check: check as number,
            previous: previous as (string | null)[],
          };
          if ((remaining as number) >= 0) result.backupCodesRemaining = remaining as number;
          if (typeof held === "string") result.held = held;
          return result;
        }
      }
    },
    async lockedFor(userId, now) {
      const until = Number(await run(() => client.hget(userKey(userId, "lock"), "until")));
      return until > now ? until - now : 0;
    },
    async unlock(userId, now) {
      const keys = [userKey(userId, "lock"), userKey(userId, "failures")];
      return (await evalScript("unlock", keys, [num(now, "now")])) === 1;
    },
    async throttle(userId, name, limit, now) {
      const keys = [userKey(userId, `throttle:${name}`), userKey(userId, `throttle-seq:${name}`)];
      const args = [
        num(now, "now"),
        num(limit.intervalMs, "intervalMs"),
        num(limit.max, "max"),
        num(limit.windowMs, "windowMs"),
      ];
      return (await evalScript("throttle", keys, args)) as number;
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
      const keys = [
        ownSessionKey(tokenHash, session.userId),
        indexKey(redisUserTag(session.userId)),
      ];
      const args = [
        num(now, "now"),
        tokenHash,
        num(session.expiresAt, "expiresAt"),
        sessionHead(session),
        session.userId,
      ];
      await evalScript("createSession", keys, args);
    },
    getSession(tokenHash, now) {
      // The hot path: no script, and the checks that arrive within one turn of the event loop
      // share one MGET (still one round trip each, nothing cached, revocation seen at once).
      const key = sessionKey(tokenHash);
      // A token without a tag was never issued for this store: no session, and nothing to ask.
      if (key === undefined) return Promise.resolve(null);
      return new Promise((resolve, reject) => {
        if (reads.length === 0) setImmediate(readSessions);
        reads.push({ key, tag: tagOf(tokenHash)!, now, resolve, reject });
        if (reads.length >= MAX_BATCH) readSessions();
      });
    },
    async touchSession(tokenHash, expiresAt, now) {
      const key = sessionKey(tokenHash);
      if (key === undefined) return null;
      const args = [num(now, "now"), tokenHash, num(expiresAt, "expiresAt")];
      const keys = [key, indexKey(tagOf(tokenHash)!)];
      const value = (await evalScript("touchSession", keys, args)) as string | null;
      return unpackSession(value, now);
    },
    async revokeSession(tokenHash, now) {
      const key = sessionKey(tokenHash);
      if (key === undefined) return false;
      const args = [tokenHash, num(now, "now")];
      const keys = [key, indexKey(tagOf(tokenHash)!)];
      return (await evalScript("revokeSession", keys, args)) === 1;
    },
    async revokeUserSessions(userId, now, scope) {
      const index = indexKey(redisUserTag(userId));
      const args = [
        num(now, "now"),
        userId,
        scope?.factorId ?? "",
        scope?.backupCode ? "1" : "0",
        scope?.except ?? "",
      ];
      // The script must be given every key it touches: read the index, then revoke in one step
      // what it names. A session created in between makes the script refuse (nothing written) and
      // the read is repeated.
      for (let attempt = 1; ; attempt++) {
        const members = (await run(() => client.zrange(index, 0, -1))).filter(
          (hash) => sessionKey(hash) !== undefined,
        );
        const keys = [index, ...members.map((hash) => sessionKey(hash)!)];
        const live = (await evalScript("revokeUserSessions", keys, [
          ...args,
          ...members,
        ])) as number;
        if (live >= 0) return live;
        if (attempt >= REVOKE_ATTEMPTS) {
          throw unavailable(`the sessions of a user kept changing over ${attempt} attempts`);
        }
      }
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

    async outboxAdd(messages, _now) {
      if (messages.length === 0) return;
      const encoded = messages.map((m) => ({
        id: m.id,
        stream: m.stream,
        payload: m.payload,
        attempts: num(m.attempts, "attempts"),
        createdAt: num(m.createdAt, "createdAt"),
        dueAt: num(m.dueAt, "dueAt"),
      }));
      await evalScript("outboxAdd", outboxKeys, [JSON.stringify(encoded)]);
    },
    async outboxClaim(limit, leaseMs, now) {
      const args = [num(now, "now"), num(now + leaseMs, "leaseMs"), Math.max(0, Math.floor(limit))];
      if (args[2] === 0) return [];
      const heads = (await evalScript("outboxClaim", outboxKeys, args)) as string[];
      return heads.map((raw) => {
        const m = JSON.parse(raw) as Record<string, string>;
        return {
          id: m.id!,
          stream: m.stream!,
          payload: m.payload!,
          attempts: Number(m.attempts),
          createdAt: Number(m.createdAt),
          dueAt: Number(m.dueAt),
        };
      });
    },
    async outboxDone(stream, id, _now) {
      await evalScript("outboxSettle", outboxKeys, [stream, id]);
    },
    async outboxRetry(stream, id, attempts, dueAt, _now) {
      const args = [stream, id, num(attempts, "attempts"), num(dueAt, "dueAt")];
      await evalScript("outboxSettle", outboxKeys, args);
    },
  };
  return store;
}
