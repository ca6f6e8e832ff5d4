local raw = redis.call('HGET', KEYS[2], ARGV[2])
if not raw then return 'not_found' end
local r = cjson.decode(raw)
if r.status == 'active' then return 'active' end
if expiredPending(r, tonumber(ARGV[4])) then
  redis.call('HDEL', KEYS[2], ARGV[2])
  moveRev(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
  return 'expired'
end
if ARGV[3] ~= '1' then
  local all = redis.call('HGETALL', KEYS[2])
  for i = 1, #all, 2 do
    if all[i] ~= ARGV[2] and cjson.decode(all[i + 1]).status == 'active' then
      return 'step_up_required'
    end
  end
end
r.status = 'active'
r.pendingUntil = nil
redis.call('HSET', KEYS[2], ARGV[2], cjson.encode(r))
redis.call('SET', KEYS[1], ARGV[1])
return 'activated'
