local now = tonumber(ARGV[1])
if liveValue(redis.call('GET', KEYS[1]), now) then return 0 end
local untilMs = now + tonumber(ARGV[2])
redis.call('SET', KEYS[1], stamp(untilMs, '1'), 'PX', ttl(untilMs, now))
return 1
