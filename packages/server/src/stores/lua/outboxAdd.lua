for _, m in ipairs(cjson.decode(ARGV[1])) do
  local raw = redis.call('HGET', KEYS[1], m.stream)
  local queue = raw and cjson.decode(raw) or {}
  queue[#queue + 1] = m
  redis.call('HSET', KEYS[1], m.stream, cjson.encode(queue))
  if not raw then redis.call('ZADD', KEYS[2], tonumber(m.dueAt), m.stream) end
end
return 1
