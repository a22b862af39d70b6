-- Shared by the scripts that take a call out of the priority line or out of parking
-- (prepended to each script by store/scripts.py).

-- One call fewer counts for `precinct` (waiting, or parked: store/parked.py). Returns how
-- many still count; the precinct's place goes with the last of them.
local function release_precinct(k_places, k_counts, precinct)
  local left = redis.call('HINCRBY', k_counts, precinct, -1)
  if left <= 0 then
    redis.call('HDEL', k_counts, precinct)
    redis.call('HDEL', k_places, precinct)
    left = 0
  end
  return left
end

-- Removes the call from the line, its entry and the holding set, and from its precinct's
-- count. The caller has checked that `sid` is waiting. Returns the call's score and how
-- many calls for the precinct still count.
local function leave_line(k_line, k_waiting, k_holding, k_places, k_counts, sid, precinct)
  local score = redis.call('ZSCORE', k_line, sid)
  redis.call('ZREM', k_line, sid)
  redis.call('HDEL', k_waiting, sid)
  redis.call('SREM', k_holding, sid)
  return score, release_precinct(k_places, k_counts, precinct)
end
