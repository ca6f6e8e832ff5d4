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
    '\n')
  writeSession(KEYS[s.key], KEYS[6], s.token, tonumber(s.expiresAt), now, head, s.userId)
end
return reply
