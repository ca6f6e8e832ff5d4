local out = {}
for _, stream in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))) do
  local raw = redis.call('HGET', KEYS[1], stream)
  if raw then
    out[#out + 1] = cjson.encode(cjson.decode(raw)[1])
    redis.call('ZADD', KEYS[2], ARGV[2], stream)
  else
    redis.call('ZREM', KEYS[2], stream)
  end
end
return out
