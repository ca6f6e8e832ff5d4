if redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3]) == 0 then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1
