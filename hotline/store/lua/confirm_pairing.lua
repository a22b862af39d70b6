-- The caller has arrived in the volunteer's room (Twilio requested the connect URL the
-- Queue Member update gave it): the pairing is done. If the pairing was meanwhile given
-- up as stale and the call put back in line, take it out again: it is talking to a
-- volunteer now. A pairing that is neither (a replayed request, or one already
-- confirmed) changes nothing.
--
-- KEYS: 1 pairings, 2 volunteer states, 3 line, 4 waiting, 5 free volunteers, 6 the
--       connecting call, 7 holding, 8 precinct places, 9 precinct calls, 10 the given-up
--       pairing
-- ARGV: 1 volunteer, 2 pairing id, 3 connecting CallSid (a call back's own, for a chair
--       who asked to be called back), 4 now, 5 precinct
-- Returns 1 when the pairing was in flight, 2 when it had been given up, 0 when neither.
local raw = redis.call('HGET', KEYS[1], ARGV[1])
local found = 0
if raw and cjson.decode(raw).id == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  found = 1
else
  -- The given-up pairing's key holds the call it had taken out of the line.
  local waiting = redis.call('GET', KEYS[10])
  if not waiting then return 0 end
  redis.call('DEL', KEYS[10])
  local entry = redis.call('HGET', KEYS[4], waiting)
  if entry then
    leave_line(KEYS[3], KEYS[4], KEYS[7], KEYS[8], KEYS[9], waiting, cjson.decode(entry).precinct)
  end
  redis.call('ZREM', KEYS[5], ARGV[1])
  found = 2
end
local state = cjson.decode(redis.call('HGET', KEYS[2], ARGV[1]) or '{}')
state.status = 'talking'
state.precinct = ARGV[5]
state.caller_call_sid = ARGV[3]
state.since = tonumber(ARGV[4])
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(state))
redis.call('HSET', KEYS[6], 'volunteer', ARGV[1], 'answered_at', ARGV[4])
return found
