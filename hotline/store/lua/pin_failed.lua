-- A wrong PIN: count it against the number (or the shared withheld budget)
-- and, for admins' eyes only, against the precinct. Returns the number's
-- failures in the window and how often it has been temporarily blocked.
--
-- KEYS: 1 caller pin failures (or withheld pin failures), 2 precinct pin-failure
--       counter, 3 caller, 4 call
-- ARGV: 1 now, 2 long window s, 3 failure id (CallSid:try)
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - window))
redis.call('EXPIRE', KEYS[1], math.ceil(window))
redis.call('INCR', KEYS[2])
redis.call('HINCRBY', KEYS[4], 'pin_failures', 1)
local temp_blocks = tonumber(redis.call('HGET', KEYS[3], 'temp_blocks')) or 0
return {redis.call('ZCARD', KEYS[1]), temp_blocks}
