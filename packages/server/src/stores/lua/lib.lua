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
  redis.call('SET', key, head .. '\n' .. userId, 'PX', ttl(expiresAt, now))
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
    at = string.find(value, '\n', at + 1, true)
    if not at then return nil end
  end
  local stop = string.find(value, '\n', at + 1, true)
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
    at = string.find(value, '\n', at + 1, true)
    if not at then return nil end
  end
  local first = string.find(value, '\n', 1, true)
  return tonumber(string.sub(value, 1, first - 1)), string.sub(value, at + 1)
end
