-- The wait URL was requested: Twilio has the call in its queue now (it plays
-- the verified message first, so a chair is in the line a few seconds before
-- they can be moved). Note the call as holding, once, and tell the place.
--
-- KEYS: 1 line, 2 waiting, 3 holding
-- ARGV: 1 precinct, 2 CallSid
-- Returns {position (0 when not waiting), 1 the first time this call is seen holding}
local first = 0
local raw = redis.call('HGET', KEYS[2], ARGV[1])
if raw and cjson.decode(raw).call_sid == ARGV[2]
    and redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
  first = 1
end
local rank = redis.call('ZRANK', KEYS[1], ARGV[1])
if not rank then return {0, first} end
return {rank + 1, first}
