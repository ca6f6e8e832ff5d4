local now = tonumber(ARGV[1])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'challenge', ARGV[3], 'hash', ARGV[4], 'expiresAt', ARGV[5],
  'until', now + tonumber(ARGV[2]), 'used', '0')
redis.call('PEXPIRE', KEYS[1], ttl(now + tonumber(ARGV[2]), now))
