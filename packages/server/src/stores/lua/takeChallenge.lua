local raw = redis.call('GET', KEYS[1])
if not raw then return nil end
redis.call('DEL', KEYS[1])
return liveValue(raw, tonumber(ARGV[1]))
