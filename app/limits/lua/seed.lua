-- Set a budget's spend only if its counter does not exist yet.
-- KEYS: budget. ARGV: spent, ttl ms (0: never expires). Returns 1 when set.

local created = redis.call('HSETNX', KEYS[1], 'spent', ARGV[1])
if created == 1 and tonumber(ARGV[2]) > 0 and redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return created
