if redis.call('HDEL', KEYS[2], ARGV[2]) == 0 then return 0 end
moveRev(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
return 1
