-- The caller has arrived in the volunteer's room (Twilio requested the connect
-- URL the Queue Member update gave it): the pairing is done. If the pairing
-- was meanwhile given up as stale and the caller put back in line, take them
-- out again: they are talking to a volunteer now.
--
-- KEYS: 1 pairings, 2 volunteer states, 3 line, 4 waiting, 5 free volunteers, 6 caller's call
-- ARGV: 1 volunteer, 2 precinct, 3 caller CallSid, 4 now
-- Returns 1 when the pairing was in flight, 0 when it had been given up.
local raw = redis.call('HGET', KEYS[1], ARGV[1])
local found = 0
if raw and cjson.decode(raw).precinct == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  found = 1
else
  redis.call('ZREM', KEYS[3], ARGV[2])
  redis.call('HDEL', KEYS[4], ARGV[2])
  redis.call('ZREM', KEYS[5], ARGV[1])
end
local state = cjson.decode(redis.call('HGET', KEYS[2], ARGV[1]) or '{}')
state.status = 'talking'
state.precinct = ARGV[2]
state.caller_call_sid = ARGV[3]
state.since = tonumber(ARGV[4])
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(state))
redis.call('HSET', KEYS[6], 'volunteer', ARGV[1], 'answered_at', ARGV[4])
return found
