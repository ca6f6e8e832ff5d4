local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local queue = cjson.decode(raw)
if queue[1].id ~= ARGV[2] then return 0 end
if ARGV[3] then
  queue[1].attempts = ARGV[3]
  queue[1].dueAt = ARGV[4]
elseif #queue == 1 then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 1
else
  table.remove(queue, 1)
end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(queue))
redis.call('ZADD', KEYS[2], tonumber(queue[1].dueAt), ARGV[1])
return 1
