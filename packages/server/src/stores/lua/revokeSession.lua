local expiresAt = sessionParts(redis.call('GET', KEYS[1]))
redis.call('ZREM', KEYS[2], ARGV[1])
if not expiresAt then return 0 end
redis.call('DEL', KEYS[1])
if expiresAt > tonumber(ARGV[2]) then return 1 end
return 0
