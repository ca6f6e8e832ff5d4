local salt = redis.call('HGET', KEYS[3], 'salt')
local count = 0
if salt then count = redis.call('HLEN', KEYS[3]) - 1 end
return {redis.call('GET', KEYS[1]) or '0', redis.call('HGETALL', KEYS[2]), salt or false, count}
