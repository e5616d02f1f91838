-- Check every level and, only if all pass, charge all of them.
-- KEYS: record, then per level: window, leases, budget, holds.
-- ARGV: now, request id, tokens, reserve, lease deadline, hold deadline, record ttl ms,
--       window ttl ms, lease ttl ms, level count, then per level: rpm, tpm, parallel,
--       max budget (-1: none), budget ttl ms (0: never expires).
-- Returns: admitted, denied level (1-based, 0: none), reason (1 rpm, 2 tpm, 3 parallel,
--          4 budget), in flight (1: only live reservations block), then per level the
--          requests and tokens used in the current minute.

local now, rid, tokens, reserve = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local n = tonumber(ARGV[10])
local used = {}

local function limits(i)
  local a = 10 + (i - 1) * 5
  return tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]),
    tonumber(ARGV[a + 4]), ARGV[a + 5]
end

local function read_used(i, k)
  local rpm, tpm = limits(i)
  local req, tok = 0, 0
  if rpm >= 0 or tpm >= 0 then
    local v = redis.call('HMGET', KEYS[k], 'r', 't')
    req, tok = tonumber(v[1]) or 0, tonumber(v[2]) or 0
  end
  used[2 * i - 1], used[2 * i] = req, tok
  return req, tok
end

local function check(i, k, req, tok)
  local rpm, tpm, par, max = limits(i)
  if rpm >= 0 and req + 1 > rpm then return 1, 0 end
  if tpm >= 0 and (tok >= tpm or tok + tokens > tpm) then return 2, 0 end
  if par >= 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[k + 1], '-inf', now)
    if redis.call('ZCARD', KEYS[k + 1]) >= par then return 3, 0 end
  end
  if max >= 0 then
    purge_holds(KEYS[k + 2], KEYS[k + 3], now)
    local spent, reserved = budget_use(KEYS[k + 2])
    if spent + reserved + reserve > max then
      return 4, (spent + reserve <= max) and 1 or 0
    end
  end
  return 0, 0
end

local function charge(i, k)
  local rpm, tpm, par, max, ttl = limits(i)
  if rpm >= 0 or tpm >= 0 then
    used[2 * i - 1] = redis.call('HINCRBY', KEYS[k], 'r', 1)
    used[2 * i] = redis.call('HINCRBY', KEYS[k], 't', ARGV[3])
    redis.call('PEXPIRE', KEYS[k], ARGV[8])
  end
  if par >= 0 then
    redis.call('ZADD', KEYS[k + 1], ARGV[5], rid)
    redis.call('PEXPIRE', KEYS[k + 1], ARGV[9])
  end
  if max >= 0 then
    redis.call('HINCRBY', KEYS[k + 2], 'h:' .. rid, ARGV[4])
    redis.call('HINCRBY', KEYS[k + 2], 'reserved', ARGV[4])
    redis.call('ZADD', KEYS[k + 3], ARGV[6], rid)
    expire_budget(KEYS[k + 2], KEYS[k + 3], ttl)
  end
end

local denied, reason, in_flight = 0, 0, 0
for i = 1, n do
  local k = 2 + (i - 1) * 4
  local req, tok = read_used(i, k)
  if denied == 0 then
    reason, in_flight = check(i, k, req, tok)
    if reason > 0 then denied = i end
  end
end
if denied == 0 then
  for i = 1, n do
    charge(i, 2 + (i - 1) * 4)
  end
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[7])
end
local reply = {denied == 0 and 1 or 0, denied, reason, in_flight}
for j = 1, 2 * n do
  reply[4 + j] = used[j]
end
return reply
