-- Judge an admission by the rules of admit.lua without writing anything.
-- KEYS: per level: window, leases, budget, holds.
-- ARGV: now, tokens, reserve, level count, then per level: rpm, tpm, parallel,
--       max budget (-1: none), spend to assume when the budget has no counter.
-- Returns: denied level (1-based, 0: none), reason (as admit.lua), in flight, then per
--          level: requests, tokens, leases live, spent (-1: no counter), reserved.

local now, tokens, reserve, n = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])

-- Holds whose deadline has passed count as released, as purge_holds would make them.
local function live_reserved(budget, holds)
  local _, reserved = budget_use(budget)
  for _, rid in ipairs(redis.call('ZRANGEBYSCORE', holds, '-inf', now)) do
    reserved = reserved - (tonumber(redis.call('HGET', budget, 'h:' .. rid)) or 0)
  end
  return reserved
end

local denied, reason, in_flight = 0, 0, 0
local reply = {0, 0, 0}
for i = 1, n do
  local k, a = 1 + (i - 1) * 4, 4 + (i - 1) * 5
  local rpm, tpm, par = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  local max, seed = tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5])
  local w = redis.call('HMGET', KEYS[k], 'r', 't')
  local req, tok = tonumber(w[1]) or 0, tonumber(w[2]) or 0
  local live = redis.call('ZCOUNT', KEYS[k + 1], '(' .. now, '+inf')
  local stored = redis.call('HGET', KEYS[k + 2], 'spent')
  local spent = tonumber(stored) or seed
  local reserved = live_reserved(KEYS[k + 2], KEYS[k + 3])
  if denied == 0 then
    if rpm >= 0 and req + 1 > rpm then reason = 1
    elseif tpm >= 0 and (tok >= tpm or tok + tokens > tpm) then reason = 2
    elseif par >= 0 and live >= par then reason = 3
    elseif max >= 0 and spent + reserved + reserve > max then
      reason = 4
      in_flight = (spent + reserve <= max) and 1 or 0
    end
    if reason > 0 then denied = i end
  end
  local base = 3 + (i - 1) * 5
  reply[base + 1], reply[base + 2], reply[base + 3] = req, tok, live
  reply[base + 4] = stored and int(tonumber(stored)) or -1
  reply[base + 5] = int(reserved)
end
reply[1], reply[2], reply[3] = denied, reason, in_flight
return reply
