local now, expiresAt = tonumber(ARGV[1]), tonumber(ARGV[3])
local value = redis.call('GET', KEYS[1])
local current = sessionParts(value)
if not current or current <= now then return nil end
value = ARGV[3] .. string.sub(value, (string.find(value, '\n', 1, true)))
redis.call('SET', KEYS[1], value, 'PX', ttl(expiresAt, now))
redis.call('ZADD', KEYS[2], expiresAt, ARGV[2])
if redis.call('PTTL', KEYS[2]) < ttl(expiresAt, now) then
  redis.call('PEXPIRE', KEYS[2], ttl(expiresAt, now))
end
return value
