-- Pair the volunteer who has been free longest with the best waiting caller,
-- atomically: two dispatchers running at once can never hand one caller to
-- two volunteers, or two callers to one. The pairing is recorded until the
-- caller is in the volunteer's room (confirm) or it is undone.
--
-- KEYS: 1 free volunteers, 2 line, 3 waiting, 4 pairings, 5 volunteer states
-- ARGV: 1 now
-- Returns the pairing as JSON, or nil when there is no one to pair.
local free = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #free == 0 then return nil end
local volunteer, free_since = free[1], free[2]
for _ = 1, 100 do
  local best = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  if #best == 0 then return nil end
  local precinct, score = best[1], best[2]
  redis.call('ZREM', KEYS[2], precinct)
  local entry = redis.call('HGET', KEYS[3], precinct)
  redis.call('HDEL', KEYS[3], precinct)
  if entry then
    redis.call('ZREM', KEYS[1], volunteer)
    local state = cjson.decode(redis.call('HGET', KEYS[5], volunteer) or '{}')
    local pairing = {
      volunteer = volunteer, free_since = tonumber(free_since), precinct = precinct,
      score = tonumber(score), entry = cjson.decode(entry), paired_at = tonumber(ARGV[1]),
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
  -- A line entry without its details cannot be dispatched; it was dropped, try the next.
end
return nil
