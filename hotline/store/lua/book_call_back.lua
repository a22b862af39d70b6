-- A person's PIN budget is spent: book a call back to their registered phone, unless
-- one was placed to it too recently or its allowance for the window is used up (a troll
-- must not be able to ring a chair's phone all night). Booked atomically, so parallel
-- calls cannot book two.
--
-- KEYS: 1 calls back to the phone, 2 verification
-- ARGV: 1 now, 2 window s, 3 spacing s, 4 allowance, 5 verification id,
--       6 verification fields (JSON object of strings), 7 verification ttl s
-- Returns 1 when booked, 0 when not.
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - tonumber(ARGV[2])))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] and now - tonumber(last[2]) < tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], now, ARGV[5])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])))
for field, value in pairs(cjson.decode(ARGV[6])) do
  redis.call('HSET', KEYS[2], field, value)
end
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[7]))
return 1
