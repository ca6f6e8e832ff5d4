writeSession(KEYS[1], KEYS[2], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[1]), ARGV[4], ARGV[5])
