-- Pair the volunteer who has been free longest with the best waiting caller,
-- atomically: two dispatchers running at once can never hand one caller to
-- two volunteers, or two callers to one. The pairing is recorded until the
-- caller is in the volunteer's room (confirm) or it is undone.
--
-- KEYS: 1 free volunteers, 2 line, 3 waiting, 4 pairings, 5 volunteer states, 6 holding
-- ARGV: 1 now
-- Returns the pairing as JSON, or nil when there is no one to pair.
local free = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #free == 0 then return nil end
local volunteer, free_since = free[1], free[2]
-- The best caller who can be put through now: holding in Twilio's queue, or
-- waiting for a call back. One still hearing "verified" is not in the queue yet.
local candidates = redis.call('ZRANGE', KEYS[2], 0, 99, 'WITHSCORES')
for i = 1, #candidates, 2 do
  local precinct, score = candidates[i], candidates[i + 1]
  local entry = redis.call('HGET', KEYS[3], precinct)
  if not entry then
    -- A line entry without its details cannot be dispatched: drop it.
    redis.call('ZREM', KEYS[2], precinct)
  else
    local decoded = cjson.decode(entry)
    if decoded.callback or redis.call('HGET', KEYS[6], precinct) == decoded.call_sid then
      redis.call('ZREM', KEYS[2], precinct)
      redis.call('HDEL', KEYS[3], precinct)
      redis.call('HDEL', KEYS[6], precinct)
      redis.call('ZREM', KEYS[1], volunteer)
      local state = cjson.decode(redis.call('HGET', KEYS[5], volunteer) or '{}')
      local pairing = {
        volunteer = volunteer, free_since = tonumber(free_since), precinct = precinct,
        score = tonumber(score), entry = decoded, paired_at = tonumber(ARGV[1]),
        room = state.room or cjson.null,
      }
      local encoded = cjson.encode(pairing)
      redis.call('HSET', KEYS[4], volunteer, encoded)
      state.status = 'connecting'
      state.precinct = precinct
      state.since = tonumber(ARGV[1])
      redis.call('HSET', KEYS[5], volunteer, cjson.encode(state))
      return encoded
    end
  end
end
return nil
