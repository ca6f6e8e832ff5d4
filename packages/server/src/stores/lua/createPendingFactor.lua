if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return 0 end
local now = tonumber(ARGV[5])
local pending = {}
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
  local r = cjson.decode(all[i + 1])
  if expiredPending(r, now) then
    redis.call('HDEL', KEYS[2], all[i])
  elseif r.status == 'pending' then
    pending[#pending + 1] = {id = all[i], untilMs = tonumber(r.pendingUntil)}
  end
end
table.sort(pending, function(a, b)
  if a.untilMs ~= b.untilMs then return a.untilMs < b.untilMs end
  return a.id < b.id
end)
for i = 1, #pending - tonumber(ARGV[4]) + 1 do redis.call('HDEL', KEYS[2], pending[i].id) end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('SET', KEYS[1], ARGV[1])
return 1
