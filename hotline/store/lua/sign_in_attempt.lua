-- A console sign-in attempt, counted as a failure before its password is checked, so
-- that attempts racing one another each see the others. For each key, returns what it
-- held before this attempt: how many entries in the window, and the time of the latest
-- (as a string: a Lua number would come back truncated to an integer; '' when none).
--
-- KEYS: the attempt's failure sets
-- ARGV: 1 now, 2 window s, 3 attempt id
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local before = {}
for _, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. (now - window))
  local latest = redis.call('ZREVRANGE', key, 0, 0, 'WITHSCORES')
  table.insert(before, redis.call('ZCARD', key))
  table.insert(before, latest[2] or '')
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('EXPIRE', key, math.ceil(window))
end
return before
