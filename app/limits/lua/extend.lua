-- Grow a live reservation if every budget still has room, and refresh its leases.
-- KEYS: record, then per level: window (unused), leases, budget, holds.
-- ARGV: now, request id, extra, lease deadline, hold deadline, level count, record ttl ms,
--       lease ttl ms, then per level: has parallel (1/0), max budget (-1: none),
--       budget ttl ms (0: never expires).
-- Returns 1 when grown, 0 when not live or a budget has no room.

if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local now, rid, extra, n = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[6])
for i = 1, n do
  local k, a = 2 + (i - 1) * 4, 8 + (i - 1) * 3
  if tonumber(ARGV[a + 2]) >= 0 then
    purge_holds(KEYS[k + 2], KEYS[k + 3], now)
    if not redis.call('HGET', KEYS[k + 2], 'h:' .. rid) then
      return 0
    end
    local spent, reserved = budget_use(KEYS[k + 2])
    if spent + reserved + extra > tonumber(ARGV[a + 2]) then
      return 0
    end
  end
end
for i = 1, n do
  local k, a = 2 + (i - 1) * 4, 8 + (i - 1) * 3
  if ARGV[a + 1] == '1' and redis.call('ZADD', KEYS[k + 1], 'XX', 'CH', ARGV[4], rid) == 1 then
    redis.call('PEXPIRE', KEYS[k + 1], ARGV[8])
  end
  if tonumber(ARGV[a + 2]) >= 0 then
    redis.call('HINCRBY', KEYS[k + 2], 'h:' .. rid, ARGV[3])
    redis.call('HINCRBY', KEYS[k + 2], 'reserved', ARGV[3])
    redis.call('ZADD', KEYS[k + 3], 'XX', ARGV[5], rid)
    expire_budget(KEYS[k + 2], KEYS[k + 3], ARGV[a + 3])
  end
end
redis.call('PEXPIRE', KEYS[1], ARGV[7])
return 1
