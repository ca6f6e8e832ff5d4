local now = tonumber(ARGV[1])
local previous = liveValue(redis.call('GET', KEYS[1]), now)
local untilMs = now + tonumber(ARGV[2])
redis.call('SET', KEYS[1], stamp(untilMs, ARGV[3]), 'PX', ttl(untilMs, now))
return previous
