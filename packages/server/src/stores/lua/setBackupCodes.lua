if ARGV[2] == '1' and redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
redis.call('DEL', KEYS[3])
if #ARGV < 4 then
  moveRev(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
  return 1
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[3], 'salt', ARGV[3])
local batch = {}
for i = 4, #ARGV do
  batch[#batch + 1] = 'h:' .. ARGV[i]
  batch[#batch + 1] = '1'
  if #batch >= 1000 then
    redis.call('HSET', KEYS[3], unpack(batch))
    batch = {}
  end
end
if #batch > 0 then redis.call('HSET', KEYS[3], unpack(batch)) end
return 1
