-- A PIN is about to be checked against a precinct or a volunteer: reserve a place in
-- both budgets of the PIN defence (the target's, and the whole hotline's) if both have
-- room, atomically, so that parallel calls cannot overrun either. A reservation counts
-- as a failure until the PIN turns out right (store/pin_guard.py releases it then).
--
-- KEYS: 1 target failures, 2 hotline failures, 3 checks this hour, 4 flood switch
-- ARGV: 1 now, 2 budget window s, 3 attempt id, 4 target budget, 5 hotline budget,
--       6 checks field, 7 checks ttl s, 8 alarm window s
-- Returns {reserved 0/1, hotline failures within the alarm window, flood switch 0/1}
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
for _, key in ipairs({KEYS[1], KEYS[2]}) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. (now - window))
end
local reserved = 0
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[4])
    and redis.call('ZCARD', KEYS[2]) < tonumber(ARGV[5]) then
  reserved = 1
  for _, key in ipairs({KEYS[1], KEYS[2]}) do
    redis.call('ZADD', key, now, ARGV[3])
    redis.call('EXPIRE', key, math.ceil(window))
  end
  redis.call('HINCRBY', KEYS[3], ARGV[6], 1)
  redis.call('EXPIRE', KEYS[3], tonumber(ARGV[7]))
end
return {reserved, redis.call('ZCOUNT', KEYS[2], now - tonumber(ARGV[8]), '+inf'),
        redis.call('EXISTS', KEYS[4])}
