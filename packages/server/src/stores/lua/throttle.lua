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
return 0
