local raw = redis.call('HGET', KEYS[2], ARGV[2])
if not raw then return 0 end
local record = cjson.decode(raw)
for k, v in pairs(cjson.decode(ARGV[3])) do record[k] = v end
redis.call('HSET', KEYS[2], ARGV[2], cjson.encode(record))
redis.call('SET', KEYS[1], ARGV[1])
return 1
