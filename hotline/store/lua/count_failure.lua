-- A PIN or backup code did not match: count it against the calling number (or the
-- shared budget of withheld callers) and on the call, and say what the caller is. A
-- protected number (registered to a chair or a volunteer, or allowed by an admin) is
-- never blocked for its failures; the policy reads `protected` to know.
--
-- KEYS: 1 caller failures (or withheld failures), 2 caller, 3 chair phones,
--       4 volunteer phones, 5 call, 6 allowed numbers
-- ARGV: 1 now, 2 caller window s, 3 attempt id, 4 number ("" when withheld)
-- Returns {caller failures in the window, temporary blocks so far, protected 0/1}
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - window))
redis.call('EXPIRE', KEYS[1], math.ceil(window))
-- Only a call on record is counted on: a record made up here would never expire.
if redis.call('EXISTS', KEYS[5]) == 1 then
  redis.call('HINCRBY', KEYS[5], 'pin_failures', 1)
end
local number = ARGV[4]
local protected = 0
if number ~= '' and (redis.call('HEXISTS', KEYS[3], number) == 1
    or redis.call('HEXISTS', KEYS[4], number) == 1
    or redis.call('HEXISTS', KEYS[6], number) == 1) then
  protected = 1
end
return {redis.call('ZCARD', KEYS[1]), tonumber(redis.call('HGET', KEYS[2], 'temp_blocks')) or 0,
        protected}
