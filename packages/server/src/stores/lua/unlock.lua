local now = tonumber(ARGV[1])
local s = redis.call('HMGET', KEYS[1], 'until', 'suspended', 'streakUntil')
local was = (tonumber(s[1]) or 0) > now or (s[2] == '1' and (tonumber(s[3]) or 0) > now)
redis.call('DEL', KEYS[1], KEYS[2])
if was then return 1 end
return 0
