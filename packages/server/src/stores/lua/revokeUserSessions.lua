local now, userId = tonumber(ARGV[1]), ARGV[2]
local factorId, backup, except = ARGV[3], ARGV[4] == '1', ARGV[5]
local everything = factorId == '' and not backup
local keyOf = {}
for i = 6, #ARGV do keyOf[ARGV[i]] = KEYS[i - 4] end
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, tokenHash in ipairs(members) do
  if not keyOf[tokenHash] then return -1 end
end
local live = 0
for _, tokenHash in ipairs(members) do
  if tokenHash ~= except then
    local key = keyOf[tokenHash]
    local value = redis.call('GET', key)
    local expiresAt, owner = sessionParts(value)
    -- Another user's session under the same tag stays; an entry without a session goes.
    local selected = not value or (owner == userId and everything)
    if value and owner == userId and not selected then
      local f = sessionFactor(value)
      selected = (factorId ~= '' and f == factorId) or (backup and f == '')
    end
    if selected then
      if expiresAt and expiresAt > now then live = live + 1 end
      redis.call('DEL', key)
      redis.call('ZREM', KEYS[1], tokenHash)
    end
  end
end
if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('DEL', KEYS[1]) end
return live
