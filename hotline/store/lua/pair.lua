-- Pair the volunteer who has been free longest with the best waiting call, atomically:
-- two dispatchers running at once can never hand one call to two volunteers, or two
-- calls to one. The pairing is recorded until the caller is in the volunteer's room
-- (confirm) or it is undone.
--
-- KEYS: 1 free volunteers, 2 line, 3 waiting, 4 pairings, 5 volunteer states, 6 holding,
--       7 precinct places, 8 precinct calls
-- ARGV: 1 now, 2 pairing id (unique; it names the pairing in the connect URL)
-- Returns the pairing as JSON, or nil when there is no one to pair.
local free = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #free == 0 then return nil end
local volunteer, free_since = free[1], free[2]
-- The best call that can be put through now: holding in Twilio's queue, or waiting for
-- a call back. One still hearing "verified" is not in the queue yet.
local candidates = redis.call('ZRANGE', KEYS[2], 0, 99, 'WITHSCORES')
for i = 1, #candidates, 2 do
  local sid, score = candidates[i], candidates[i + 1]
  local entry = redis.call('HGET', KEYS[3], sid)
  if not entry then
    -- A line entry without its details cannot be dispatched: drop it.
    redis.call('ZREM', KEYS[2], sid)
  else
    local decoded = cjson.decode(entry)
    if decoded.callback or redis.call('SISMEMBER', KEYS[6], sid) == 1 then
      leave_line(KEYS[2], KEYS[3], KEYS[6], KEYS[7], KEYS[8], sid, decoded.precinct)
      redis.call('ZREM', KEYS[1], volunteer)
      local state = cjson.decode(redis.call('HGET', KEYS[5], volunteer) or '{}')
      local pairing = {
        id = ARGV[2], volunteer = volunteer, free_since = tonumber(free_since),
        precinct = decoded.precinct, call_sid = sid, score = tonumber(score), entry = decoded,
        paired_at = tonumber(ARGV[1]), room = state.room or cjson.null,
      }
      local encoded = cjson.encode(pairing)
      redis.call('HSET', KEYS[4], volunteer, encoded)
      state.status = 'connecting'
      state.precinct = decoded.precinct
      state.verified_how = decoded.verified_how
      state.since = tonumber(ARGV[1])
      redis.call('HSET', KEYS[5], volunteer, cjson.encode(state))
      return encoded
    end
  end
end
return nil
