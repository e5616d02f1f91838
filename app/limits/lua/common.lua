-- Helpers shared by the counter scripts (prepended to each of them).
-- Money is integer units of 1e-10 USD. Lua numbers are doubles: sums and comparisons are
-- exact up to 2^53 units (about $900,719.93) per counter per period. Numbers are written
-- back with int() so Redis never receives an exponent-formatted value.

local function int(n)
  return string.format('%d', n)
end

local function release_hold(budget, rid)
  local held = redis.call('HGET', budget, 'h:' .. rid)
  if held then
    redis.call('HDEL', budget, 'h:' .. rid)
    redis.call('HINCRBY', budget, 'reserved', int(-tonumber(held)))
  end
end

local function purge_holds(budget, holds, now)
  local expired = redis.call('ZRANGEBYSCORE', holds, '-inf', now)
  for _, rid in ipairs(expired) do
    release_hold(budget, rid)
  end
  if #expired > 0 then
    redis.call('ZREMRANGEBYSCORE', holds, '-inf', now)
  end
end

local function budget_use(budget)
  local v = redis.call('HMGET', budget, 'spent', 'reserved')
  return tonumber(v[1]) or 0, tonumber(v[2]) or 0
end

local function expire_budget(budget, holds, ttl_ms)
  if tonumber(ttl_ms) > 0 then
    redis.call('PEXPIRE', budget, ttl_ms)
    redis.call('PEXPIRE', holds, ttl_ms)
  end
end
