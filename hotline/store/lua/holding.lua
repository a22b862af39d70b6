-- The wait URL was requested: Twilio has the call in its queue now (it plays the
-- verified message first, so a call is in the line a few seconds before it can be
-- moved). Note the call as holding, once, and tell its place. A request for a call that
-- has ended (a replay) changes nothing.
--
-- KEYS: 1 line, 2 waiting, 3 holding, 4 call
-- ARGV: 1 CallSid
-- Returns {position (0 when not waiting), 1 the first time this call is seen holding}
if redis.call('HEXISTS', KEYS[4], 'ended_at') == 1 then return {0, 0} end
local first = 0
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 and redis.call('SADD', KEYS[3], ARGV[1]) == 1 then
  first = 1
end
local rank = redis.call('ZRANK', KEYS[1], ARGV[1])
if not rank then return {0, first} end
return {rank + 1, first}
