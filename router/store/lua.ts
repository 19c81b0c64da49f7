/** Lua scripts run atomically in Redis (EVALSHA via ioredis defineCommand). */

export const GCRA_LUA = `
-- GCRA (generic cell rate algorithm) for one limit, atomic in Redis.
-- KEYS[1]: the limit's key (holds the theoretical arrival time, TAT, in ms of Redis TIME)
-- ARGV[1]: emission interval T = 60000 / limit (ms per unit)
-- ARGV[2]: cost in units (may be negative: give back after settling real usage)
-- ARGV[3]: mode: 'charge' = always charge (the replica already admitted locally),
--          'admit' = charge only when tat + cost*T - 60000 <= now
-- Returns {admitted 0|1, backlog ms = TAT - now after the call}: the shared level in
-- units is limit - backlog / T (the same arithmetic as the local token bucket).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local T = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new = tat + cost * T
if ARGV[3] == 'admit' and new - 60000 > now then
  return {0, tostring(tat - now)}
end
if new < now then new = now end
if new > now then
  redis.call('SET', KEYS[1], tostring(new), 'PX', math.ceil(new - now) + 1)
else
  redis.call('DEL', KEYS[1])
end
return {1, tostring(new - now)}
`;

export const HOLD_LUA = `
-- Health shared by replicas: one hash. Fields "<kind>|<endpoint id>", kind:
--   c = a cooldown (an upstream's Retry-After / 503), value "until|origin";
--   e = an ejection (passive outlier detection), value "until|origin";
--   r = a recovery (a passed probe or health check), value "at|origin".
-- Times are ms of Redis TIME, so replicas' clocks never need to agree.
-- KEYS[1]: the hash. ARGV[1] = 'put' | 'recover' | 'read'.
-- put: ARGV[2] kind (c|e), ARGV[3] endpoint id, ARGV[4] ms from now, ARGV[5] origin;
--      never shortens a hold.
-- recover: ARGV[2] endpoint id, ARGV[3] origin; ends the endpoint's ejection hold.
-- read: ARGV[2] how long a recovery stays listed (ms); returns {kind, id, ms, origin, ...}:
--      remaining ms for c/e holds still running, age ms for recoveries; drops ended ones.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[1] == 'put' then
  local field = ARGV[2] .. '|' .. ARGV[3]
  local untilMs = now + tonumber(ARGV[4])
  local old = redis.call('HGET', KEYS[1], field)
  if old then
    local oldUntil = tonumber(string.match(old, '^([^|]+)'))
    if oldUntil and oldUntil >= untilMs then return 0 end
  end
  redis.call('HSET', KEYS[1], field, tostring(untilMs) .. '|' .. ARGV[5])
  return 1
end
if ARGV[1] == 'recover' then
  redis.call('HDEL', KEYS[1], 'e|' .. ARGV[2])
  redis.call('HSET', KEYS[1], 'r|' .. ARGV[2], tostring(now) .. '|' .. ARGV[3])
  return 1
end
local keep = tonumber(ARGV[2])
local out = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local kind, id = string.match(all[i], '^(.)|(.*)$')
  local v, origin = string.match(all[i + 1], '^([^|]+)|(.*)$')
  local ms = nil
  if kind == 'r' then
    local age = now - (tonumber(v) or 0)
    if age <= keep then ms = age end
  elseif kind == 'c' or kind == 'e' then
    local left = (tonumber(v) or 0) - now
    if left > 0 then ms = left end
  end
  if ms then
    out[#out + 1] = kind
    out[#out + 1] = id
    out[#out + 1] = tostring(ms)
    out[#out + 1] = origin
  else
    redis.call('HDEL', KEYS[1], all[i])
  end
end
return out
`;
