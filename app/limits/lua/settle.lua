-- Settle a request once: release its leases and holds, add the cost, correct its TPM.
-- KEYS: record, then per level: window (the minute charged), leases, budget, holds.
-- ARGV: request id, cost, token delta, level count, then per level: has tpm (1/0),
--       has parallel (1/0), budget ttl ms (-1: no budget, 0: never expires).
-- Returns 1 when settled now, 0 when already settled (or never admitted).

if redis.call('DEL', KEYS[1]) == 0 then
  return 0
end
local rid, cost, delta, n = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
for i = 1, n do
  local k, a = 2 + (i - 1) * 4, 4 + (i - 1) * 3
  if ARGV[a + 1] == '1' and delta ~= 0 then
    local charged = redis.call('HGET', KEYS[k], 't')
    if charged then
      redis.call('HSET', KEYS[k], 't', int(math.max(0, tonumber(charged) + delta)))
    end
  end
  if ARGV[a + 2] == '1' then
    redis.call('ZREM', KEYS[k + 1], rid)
  end
  if tonumber(ARGV[a + 3]) >= 0 then
    release_hold(KEYS[k + 2], rid)
    redis.call('ZREM', KEYS[k + 3], rid)
    redis.call('HINCRBY', KEYS[k + 2], 'spent', cost)
    expire_budget(KEYS[k + 2], KEYS[k + 3], ARGV[a + 3])
  end
end
return 1
